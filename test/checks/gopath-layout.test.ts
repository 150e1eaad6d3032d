import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gopathLayout } from '../../checks/gopath-layout.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { istioFixture, runCli, tempEnv, testContext } from '../helpers/env.js';

const MAKEFILE_14 = [
  'GO111MODULE ?= on',
  'export GO111MODULE',
  "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)",
  'OUT_DIR := $(GO_TOP)/out',
  'ISTIO_BIN := $(GO_TOP)/bin',
  '',
].join('\n');

describe('gopath-layout', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let gopath: string;
  let inside: string;
  let outside: string;
  before(async () => {
    t = await tempEnv();
    gopath = path.join(t.dir, 'work');
    inside = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), { files: { 'Makefile.core.mk': MAKEFILE_14 } });
    outside = await istioFixture(path.join(t.dir, 'elsewhere', 'istio'), { files: { 'Makefile.core.mk': MAKEFILE_14 } });
  });
  after(() => t.cleanup());

  const check = async (dir: string, env: Record<string, string | undefined>) => runOneCheck(gopathLayout, await testContext({ env: { ...t.env, ...env }, dir }), 5000);

  it('inside $GOPATH/src/istio.io/istio with GOPATH and GO111MODULE set: ok', async () => {
    const r = await check(inside, { GOPATH: gopath, GO111MODULE: 'on', GOPROXY: 'https://proxy.example' });
    assert.equal(r.status, 'ok', r.summary);
    assert.equal(r.source, 'Makefile.core.mk:3');
    assert.ok(r.details?.includes('GOPROXY=https://proxy.example'));
  });

  it('GOPATH unset: fail, saying the build would write to /out, with the shellenv hint', async () => {
    const r = await check(inside, { GOPATH: undefined });
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /GOPATH is not set; GO_TOP is derived from it \(Makefile\.core\.mk:3\), so the build would write to \/out/);
    assert.equal(r.required, `GOPATH=${gopath}`);
    assert.match(r.hint ?? '', /devenv shellenv/);
  });

  it('GOPATH set elsewhere: fail naming both places, hint with the right GOPATH', async () => {
    const r = await check(inside, { GOPATH: path.join(t.dir, 'other') });
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /not at \$GOPATH\/src\/istio\.io\/istio/);
    assert.match(r.hint ?? '', new RegExp(`GOPATH=${gopath.replace(/[/.]/g, '\\$&')}`));
  });

  it('GO111MODULE unset: warn, citing the Makefile default; GO111MODULE=off: fail', async () => {
    const w = await check(inside, { GOPATH: gopath, GO111MODULE: undefined });
    assert.equal(w.status, 'warn');
    assert.match(w.summary, /make sets \?= on at Makefile\.core\.mk:1/);
    const f = await check(inside, { GOPATH: gopath, GO111MODULE: 'off' });
    assert.equal(f.status, 'fail');
  });

  it('a checkout outside any GOPATH: fail; the fix prints mv/ln commands and moves nothing', async () => {
    const r = await check(outside, { GOPATH: undefined });
    assert.equal(r.status, 'fail');
    const env = { ...t.env, GOPATH: gopath };
    const dry = await runCli(['fix', 'gopath-layout', '--dir', outside], { env });
    assert.match(dry.stdout, new RegExp(`mv ${outside.replace(/[/.]/g, '\\$&')} ${gopath.replace(/[/.]/g, '\\$&')}/src/istio\\.io/istio`));
    assert.match(dry.stdout, /ln -s /);
    assert.equal(dry.code, 1, 'manual steps do not make the check pass');
    assert.ok((await import('node:fs')).existsSync(path.join(outside, 'go.mod')), 'the checkout was moved');
  });

  it('a checkout that does not derive outputs from GOPATH (1.5+): skip', async () => {
    const modern = await istioFixture(path.join(t.dir, 'modern'), { files: { 'Makefile.core.mk': 'TARGET_OUT ?= $(shell pwd)/out/$(TARGET_OS)_$(TARGET_ARCH)\n' } });
    const r = await check(modern, {});
    assert.equal(r.status, 'skip');
  });

  it('shellenv exports GOPATH and GO111MODULE for bash (evaluated) and fish (parsed)', async () => {
    const env = { ...t.env, GOPATH: undefined };
    const bash = await runCli(['shellenv', '--shell', 'bash', '--dir', inside], { env });
    assert.equal(bash.code, 0, bash.stderr);
    const out = execFileSync('bash', ['-c', `${bash.stdout}\necho "$GOPATH|$GO111MODULE|$PATH"`], { env: { PATH: '/usr/bin:/bin' } }).toString().trim();
    const [gp, mod, p] = out.split('|');
    assert.equal(gp, gopath);
    assert.equal(mod, 'on');
    assert.ok(p.startsWith(`${gopath}/bin:`) && p.endsWith(':/usr/bin:/bin'), p);
    const fish = await runCli(['shellenv', '--shell', 'fish', '--dir', inside], { env });
    const lines = fish.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.ok(lines.includes(`set -gx GOPATH '${gopath}'`), fish.stdout);
    assert.ok(lines.includes(`set -gx GO111MODULE 'on'`));
    assert.ok(lines.includes(`set -gx PATH '${gopath}/bin' $PATH`), fish.stdout);
  });

  it('shellenv quotes values with quotes and spaces safely for bash', async () => {
    const odd = await istioFixture(path.join(t.dir, "it's here", 'src', 'istio.io', 'istio'), { files: { 'Makefile.core.mk': MAKEFILE_14 } });
    const bash = await runCli(['shellenv', '--shell', 'bash', '--dir', odd], { env: t.env });
    const gp = execFileSync('bash', ['-c', `${bash.stdout}\nprintf %s "$GOPATH"`]).toString();
    assert.equal(gp, path.join(t.dir, "it's here"));
  });
});

describe('gopath-layout per release line (fixture trees)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('1.5+ outside any GOPATH with GOPATH unset: does not apply (no failure); 1.1–1.4 do', async () => {
    const { FAMILIES, makeIstioTree } = await import('../helpers/fixtures.js');
    for (const family of FAMILIES) {
      const tree = await makeIstioTree(path.join(t.dir, `anywhere-${family}`), family);
      const ctx = await testContext({ env: { ...t.env, GOPATH: undefined }, dir: tree.root });
      const applies = await gopathLayout.appliesTo(ctx);
      if (tree.era === 'modern') {
        assert.equal(applies, 'this checkout does not derive its output paths from GOPATH', family);
        const doc = await runCli(['doctor', '--json', '--only', 'gopath-layout', '--dir', tree.root], { env: { ...t.env, GOPATH: undefined } });
        assert.equal(JSON.parse(doc.stdout).checks[0].status, 'skip', family);
      } else {
        assert.equal(applies, true, family);
        const r = await gopathLayout.run(ctx);
        // make defaults GOPATH to three levels up (here: the fixture's GOPATH) and exports it; 1.4's outer
        // Makefile derives GOBIN before that default, so go install would write to /bin
        assert.ok(r.summary.startsWith(`GOPATH is not set: make takes ${tree.gopath}, three levels above the checkout (`), r.summary);
        if (family === '1.4') {
          assert.equal(r.status, 'fail', family);
          assert.match(r.summary, /, and GOBIN is \/bin \(Makefile:\d+: derived before that default\)$/);
        } else {
          assert.equal(r.status, 'warn', `${family}: make builds in place; only hand-run go commands miss GOPATH`);
          assert.match(r.summary, /go commands run outside make use ~\/go instead$/);
        }
        // the same tree outside any GOPATH layout: make's default GOPATH has no src/istio.io/istio in it
        const moved = path.join(t.dir, `elsewhere-${family}`, 'istio');
        await fs.cp(tree.root, moved, { recursive: true });
        const m = await gopathLayout.run(await testContext({ env: { ...t.env, GOPATH: undefined }, dir: moved }));
        assert.equal(m.status, 'fail', `${family} outside a GOPATH layout`);
        assert.ok(!m.summary.includes('~/go'), m.summary);
      }
    }
  });

  it('GO111MODULE per dependency mode: 1.1 (dep) wants off, 1.2/1.3 (committed vendor/) are fine either way, 1.4 wants on', async () => {
    const { makeIstioTree } = await import('../helpers/fixtures.js');
    const t11 = await makeIstioTree(path.join(t.dir, 'g11'), '1.1');
    const on11 = await gopathLayout.run(await testContext({ env: { ...t.env, GOPATH: t11.gopath, GO111MODULE: 'on' }, dir: t11.root }));
    assert.equal(on11.status, 'fail');
    assert.equal(on11.required, 'GO111MODULE=off');
    assert.equal(on11.source, 'Gopkg.toml:1');
    assert.equal((await gopathLayout.run(await testContext({ env: { ...t.env, GOPATH: t11.gopath, GO111MODULE: 'off' }, dir: t11.root }))).status, 'ok');
    const t13 = await makeIstioTree(path.join(t.dir, 'g13'), '1.2-1.3');
    assert.equal((await gopathLayout.run(await testContext({ env: { ...t.env, GOPATH: t13.gopath, GO111MODULE: undefined }, dir: t13.root }))).status, 'ok');
    const t14 = await makeIstioTree(path.join(t.dir, 'g14'), '1.4');
    assert.equal((await gopathLayout.run(await testContext({ env: { ...t.env, GOPATH: t14.gopath, GO111MODULE: 'on' }, dir: t14.root }))).status, 'ok');
    assert.equal((await gopathLayout.run(await testContext({ env: { ...t.env, GOPATH: t14.gopath, GO111MODULE: 'off' }, dir: t14.root }))).status, 'fail');
  });
});
