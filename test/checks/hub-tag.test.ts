import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hubTag } from '../../checks/hub-tag.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { repositoryError, tagError } from '../../src/platform/reference.js';
import { istioFixture, tempEnv, testContext } from '../helpers/env.js';

describe('hub-tag', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('reference grammar', () => {
    for (const ok of ['istio', 'docker.io/jane', 'gcr.io/my-proj/sub', 'localhost:5000/me', 'registry.example.com:5000/a_b/c-d', 'a__b']) assert.equal(repositoryError(ok), undefined, ok);
    for (const bad of ['Docker.io/Jane', 'docker.io/Jane', 'a//b', 'docker.io/', '-x', 'x-', 'bad host:99x/x']) assert.notEqual(repositoryError(bad), undefined, bad);
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

  it('from .env and .istiorc.mk with their lines; env wins', async () => {
    const root = await istioFixture(path.join(t.dir, 'set'), { files: { '.env': '# mine\nexport HUB=docker.io/jane\n', '.istiorc.mk': 'HUB ?= gcr.io/x\nTAG ?= 1.4-dev\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'ok');
    assert.equal(r.source, '.env:2, .istiorc.mk:2');
    const e = await runOneCheck(hubTag, await testContext({ env: { ...t.env, HUB: 'quay.io/me' }, dir: root }), 5000);
    assert.match(e.summary, /HUB=quay\.io\/me/);
  });

  it('invalid: fail naming the value and its file and line', async () => {
    const root = await istioFixture(path.join(t.dir, 'bad'), { files: { '.env': 'export TAG=ok\n\nexport HUB=Docker.io/Jane\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /^HUB=Docker\.io\/Jane \(\.env:3\) is not a valid image repository/);
    assert.equal(r.source, '.env:3');
  });

});
