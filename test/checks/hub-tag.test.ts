import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hubTag } from '../../checks/hub-tag.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { repositoryError, tagError } from '../../src/platform/reference.js';
import { suggestedTag } from '../../src/istio/facts.js';
import { istioFixture, tempEnv, testContext } from '../helpers/env.js';

describe('hub-tag', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('reference grammar', () => {
    for (const ok of ['istio', 'docker.io/jane', 'gcr.io/my-proj/sub', 'localhost:5000/me', 'registry.example.com:5000/a_b/c-d', 'a__b']) assert.equal(repositoryError(ok), undefined, ok);
    for (const bad of ['Docker.io/Jane', 'docker.io/Jane', 'a//b', 'docker.io/', '-x', 'x-', 'bad host:99x/x', 'a___b', 'a..b', 'a.-b']) assert.notEqual(repositoryError(bad), undefined, bad);
    assert.equal(tagError('1.4-dev'), undefined);
    assert.notEqual(tagError('.bad'), undefined);
    assert.notEqual(tagError('a'.repeat(129)), undefined);
  });

  it('unset: warn saying what make defaults to', async () => {
    const root = await istioFixture(path.join(t.dir, 'unset'));
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'warn');
    assert.match(r.summary, /HUB \(make defaults to istio, which you cannot push to\); TAG \(make defaults to the git SHA\)/);
  });

  it('make sees .istiorc.mk and the environment; `?=` yields to the environment, `:=` does not', async () => {
    const root = await istioFixture(path.join(t.dir, 'set'), { files: { '.istiorc.mk': 'HUB ?= gcr.io/x\nTAG := 1.4-dev\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'ok');
    assert.equal(r.source, '.istiorc.mk:1, .istiorc.mk:2');
    const e = await runOneCheck(hubTag, await testContext({ env: { ...t.env, HUB: 'quay.io/me', TAG: 'mine' }, dir: root }), 5000);
    assert.match(e.summary, /HUB=quay\.io\/me TAG=1\.4-dev/);
  });

  // Regression: hub-tag was green with HUB/TAG only in .env, which Istio's make never reads.
  it('values only in .env are a warning saying make does not read it, with the way out', async () => {
    const root = await istioFixture(path.join(t.dir, 'dotenv'), { files: { '.env': '# mine\nexport HUB=docker.io/jane\n', '.istiorc.mk': 'TAG ?= 1.4-dev\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'warn', r.summary);
    assert.match(r.summary, /HUB is set only in \.env, which make does not read \(make would use HUB=istio\)/);
    assert.equal(r.source, '.env:2');
    assert.match(r.hint ?? '', /set -a; \. \.\/\.env; set \+a/);
  });

  // Regression: `export HUB=docker.io/$USER` failed with "has upper-case letters"; the shell expands $USER.
  it('.env values are evaluated as the shell that sources it would', async () => {
    const root = await istioFixture(path.join(t.dir, 'shell'), { files: { '.env': 'export HUB=docker.io/$USER\nTAG="$(echo 1.4)-dev"\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: { ...t.env, USER: 'jane' }, dir: root }), 5000);
    assert.equal(r.status, 'warn', r.summary);
    assert.match(r.found ?? '', /HUB=docker\.io\/jane TAG=1\.4-dev/);
    const bad = await runOneCheck(hubTag, await testContext({ env: { ...t.env, USER: 'Jane' }, dir: root }), 5000);
    assert.equal(bad.status, 'fail');
    assert.match(bad.summary, /HUB=docker\.io\/Jane \(\.env:1\) is not a valid image repository/);
  });

  it('a value make computes is reported as computed, never failed', async () => {
    const root = await istioFixture(path.join(t.dir, 'computed'), { files: { '.istiorc.mk': 'HUB := docker.io/$(USER)\nTAG := x\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'warn');
    assert.match(r.summary, /HUB is computed by your make: docker\.io\/\$\(USER\)/);
  });

  // Regression: the Docker reference regex backtracked exponentially (66 s for a 40-character HUB).
  it('long and mixed-case HUB values are judged at once', async () => {
    const root = await istioFixture(path.join(t.dir, 'long'));
    for (const HUB of ['docker.io/janesmithistiodevelopmentsquadTeam', 'docker.io/' + 'a-'.repeat(2500) + 'A', 'x'.repeat(5000)]) {
      const started = Date.now();
      const r = await runOneCheck(hubTag, await testContext({ env: { ...t.env, HUB, TAG: 't' }, dir: root }), 2000);
      assert.equal(r.status, 'fail', HUB.slice(0, 40));
      assert.doesNotMatch(r.summary, /timed out/);
      assert.ok(Date.now() - started < 2000, `${HUB.length} characters took ${Date.now() - started} ms`);
    }
  });

  it('TAG suggestion is <version>-dev without doubling', () => {
    assert.equal(suggestedTag('1.4-dev'), '1.4-dev');
    assert.equal(suggestedTag('1.4.2'), '1.4.2-dev');
    assert.equal(suggestedTag(null), undefined);
  });

  it('invalid: fail naming the value and its file and line', async () => {
    const root = await istioFixture(path.join(t.dir, 'bad'), { files: { '.env': 'export TAG=ok\n\nexport HUB=Docker.io/Jane\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /^HUB=Docker\.io\/Jane \(\.env:3\) is not a valid image repository/);
    assert.equal(r.source, '.env:3');
  });

});
