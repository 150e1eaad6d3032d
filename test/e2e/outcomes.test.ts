/**
 * Fix outcomes tell the truth (issue: "Fix outcomes tell the truth"): each
 * regression here reproduces what a user saw on a real checkout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFrom, istioFixture, runCli, tempEnv } from '../helpers/env.js';

describe('fix outcomes (end to end)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('fix hub-tag --yes with HUB unset is "manual", exit 1, and never claims a pass', async () => {
    const root = await istioFixture(path.join(t.dir, 'hub'));
    const env = { ...t.env, HUB: undefined, TAG: undefined };
    const j = await runCli(['fix', 'hub-tag', '--yes', '--json', '--dir', root], { env });
    assert.equal(j.code, 1, j.stderr);
    const body = JSON.parse(j.stdout);
    assert.equal(body.fixes[0].action, 'manual');
    assert.equal(body.fixes[0].ok, false);
    assert.match(body.fixes[0].needsYou[0], /^devenv env init --tag 1\.4-dev --hub/);
    assert.equal(body.summary.ok, false);
    assert.deepEqual(body.summary.notOk, ['hub-tag']);

    const h = await runCli(['fix', 'hub-tag', '--yes', '--dir', root], { env });
    assert.equal(h.code, 1);
    assert.doesNotMatch(h.stdout, /fixed|All selected checks pass/);
    assert.match(h.stdout, /needs you; devenv ran nothing/);
    assert.match(h.stdout, /Needs you: hub-tag/);

    const d = await runCli(['doctor', '--json', '--only', 'hub-tag', '--dir', root], { env });
    const c = checkFrom(d.stdout, 'hub-tag');
    assert.equal(c.fix, 'manual');
    assert.equal(c.fixable, false);
    const dh = await runCli(['doctor', '--only', 'hub-tag', '--dir', root], { env });
    assert.match(dh.stdout, /Needs you: hub-tag/);
    assert.doesNotMatch(dh.stdout, /Next: devenv fix hub-tag/);
  });

  it('registry-login and gopath-layout fixes are "manual" too', async () => {
    const root = await istioFixture(path.join(t.dir, 'login'), {
      files: { '.istiorc.mk': 'HUB ?= registry.example.com:5000/jane\nTAG ?= x\n', 'Makefile.core.mk': 'VERSION ?= 1.4-dev\nGO_TOP := $(shell echo ${GOPATH} | cut -d \':\' -f1)\nOUT_DIR := $(GO_TOP)/out\n' },
    });
    const r = await runCli(['fix', 'registry-login', 'gopath-layout', '--yes', '--json', '--dir', root], { env: { ...t.env, GOPATH: undefined } });
    assert.equal(r.code, 1, r.stderr);
    const by = Object.fromEntries(JSON.parse(r.stdout).fixes.map((f: { id: string; action: string }) => [f.id, f.action]));
    assert.equal(by['registry-login'], 'manual');
    assert.equal(by['gopath-layout'], 'manual');
  });

  it('a fix that needs consent, without --yes and without a terminal: exit 1 and the JSON agrees', async () => {
    const root = await istioFixture(path.join(t.dir, 'consent'), { files: { '.devenvrc.json': JSON.stringify({ gem: { source: 'http://127.0.0.1:9/gems/' } }) } });
    const env = { ...t.env, GEM_HOME: path.join(t.dir, 'gems'), PATH: `${path.join(t.dir, 'no-fpm')}:${t.env.PATH}` };
    const r = await runCli(['fix', 'fpm', '--json', '--dir', root], { env });
    const body = JSON.parse(r.stdout);
    const fpm = body.fixes.find((f: { id: string }) => f.id === 'fpm');
    if (fpm.before.status === 'ok') return; // fpm is installed for real on this machine: nothing to decide
    assert.equal(r.code, 1);
    assert.equal(body.summary.ok, false);
    assert.ok(body.summary.failed >= 1, 'summary.failed must count what exit 1 counts');
  });

  it('a tagged checkout suggests TAG from its tag (git describe), not VERSION ?= 1.4-dev', async () => {
    const root = await istioFixture(path.join(t.dir, 'tagged'));
    const genv = { ...t.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } as NodeJS.ProcessEnv;
    for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-qm', 'x'], ['tag', '1.4.2']]) execFileSync('git', ['-C', root, ...args], { env: genv });
    const r = await runCli(['doctor', '--json', '--only', 'hub-tag', '--dir', root], { env: { ...t.env, HUB: undefined, TAG: undefined } });
    const body = JSON.parse(r.stdout);
    assert.equal(body.project.version, '1.4.2');
    assert.match(String(checkFrom(r.stdout, 'hub-tag').hint), /--tag 1\.4\.2-dev/);
  });

  // Regression: `HUB=docker.io/janesmithistiodevelopmentsquadTeam devenv doctor --only hub-tag --timeout 2` took 66 s.
  it('a 5,000-character HUB and a 40-character mixed-case HUB are judged within the timeout (bin/run.js)', async () => {
    const root = await istioFixture(path.join(t.dir, 'hub-long'));
    for (const HUB of ['docker.io/janesmithistiodevelopmentsquadTeam', 'docker.io/' + 'a-'.repeat(2495) + 'A']) {
      const started = Date.now();
      const r = await runCli(['doctor', '--json', '--only', 'hub-tag', '--timeout', '2', '--dir', root], { env: { ...t.env, HUB, TAG: 't' }, timeoutMs: 30_000 });
      const c = checkFrom(r.stdout, 'hub-tag');
      assert.equal(c.status, 'fail');
      assert.match(String(c.summary), /upper-case letters|not a valid/);
      assert.doesNotMatch(String(c.summary), /timed out/);
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    }
  });
});
