import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import { goVersion, localGoVersion } from '../../checks/go-version.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { fakeExec, istioFixture, tempEnv, testContext } from '../helpers/env.js';
import { requireReal } from '../helpers/daemons.js';

describe('go-version (real go)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let realGo: string | undefined;
  before(async () => {
    t = await tempEnv();
    const ctx = await testContext({ env: t.env, dir: t.dir });
    realGo = (await localGoVersion(ctx)).version;
  });
  after(() => t.cleanup());

  it('reads the requirement from go.mod and passes with a new enough go', async (tc) => {
    if (!requireReal(tc, 'go on PATH', realGo)) return;
    const root = await istioFixture(path.join(t.dir, 'ok'), { go: '1.13', goVersionRequired: '1.10' });
    const r = await runOneCheck(goVersion, await testContext({ env: t.env, dir: root }), 10_000);
    assert.equal(r.status, 'ok', r.summary);
    assert.equal(r.found, realGo);
    assert.equal(r.required, '>= 1.13');
    assert.equal(r.source, 'go.mod:3');
  });

  it('fails when the checkout needs a newer go than the one found', async (tc) => {
    if (!requireReal(tc, 'go on PATH', realGo)) return;
    const root = await istioFixture(path.join(t.dir, 'new'), { go: '1.99.0', goVersionRequired: null });
    const r = await runOneCheck(goVersion, await testContext({ env: t.env, dir: root }), 10_000);
    assert.equal(r.status, 'fail');
    assert.equal(r.required, '>= 1.99.0');
    assert.match(r.summary, new RegExp(`go ${realGo!.replace(/\./g, '\\.')} is older than the required 1\\.99\\.0`));
  });

  it('the Makefile requirement wins when it is stricter, with its own source', async (tc) => {
    if (!requireReal(tc, 'go on PATH', realGo)) return;
    const root = await istioFixture(path.join(t.dir, 'mk'), { go: '1.12', goVersionRequired: '1.98' });
    const r = await runOneCheck(goVersion, await testContext({ env: t.env, dir: root }), 10_000);
    assert.equal(r.status, 'fail');
    assert.equal(r.source, 'Makefile.core.mk:3');
  });

  it('go.mod without a go directive and no Makefile requirement: warn saying so', async (tc) => {
    if (!requireReal(tc, 'go on PATH', realGo)) return;
    const root = await istioFixture(path.join(t.dir, 'nogo'), { go: null, goVersionRequired: null });
    const r = await runOneCheck(goVersion, await testContext({ env: t.env, dir: root }), 10_000);
    assert.equal(r.status, 'warn');
    assert.match(r.summary, /declares no go directive/);
  });

  it('outside an Istio checkout: ok with the version found', async (tc) => {
    if (!requireReal(tc, 'go on PATH', realGo)) return;
    const r = await runOneCheck(goVersion, await testContext({ env: t.env, dir: t.dir }), 10_000);
    assert.equal(r.status, 'ok');
    assert.equal(r.required, undefined);
  });

  it('go missing from PATH: fail with found=missing', async () => {
    const root = await istioFixture(path.join(t.dir, 'nopath'));
    const r = await runOneCheck(goVersion, await testContext({ env: { ...t.env, PATH: path.join(t.dir, 'empty-bin') }, dir: root }), 10_000);
    assert.equal(r.status, 'fail');
    assert.equal(r.found, 'missing');
    assert.equal(r.source, 'go.mod:3');
  });
});

describe('go-version (fake exec table)', () => {
  it('parses go version output and reports a broken go', async () => {
    const t = await tempEnv();
    try {
      const root = await istioFixture(path.join(t.dir, 'r'), { go: '1.13' });
      const goPath = '/usr/bin/go';
      const ctx = await testContext({ env: t.env, dir: root, exec: fakeExec([{ cmd: goPath, args: ['version'], stdout: 'go version go1.12.17 linux/amd64' }]) });
      const r = await runOneCheck(goVersion, { ...ctx, which: async () => goPath }, 5000);
      assert.equal(r.status, 'fail');
      assert.equal(r.found, '1.12.17');
      const broken = await testContext({ env: t.env, dir: root, exec: fakeExec([{ cmd: goPath, args: ['version'], stderr: 'cannot find GOROOT directory', exitCode: 2 }]) });
      const r2 = await runOneCheck(goVersion, { ...broken, which: async () => goPath }, 5000);
      assert.equal(r2.status, 'fail');
      assert.match(r2.summary, /go is broken: cannot find GOROOT/);
    } finally {
      await t.cleanup();
    }
  });
});
