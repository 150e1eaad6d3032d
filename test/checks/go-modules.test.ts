import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { goModules } from '../../checks/go-modules.js';
import { goVendor } from '../../checks/go-vendor.js';
import { runFixes, runOneCheck } from '../../src/engine/engine.js';
import { compareVendor, describeDiff, parseRequires } from '../../src/istio/vendor.js';
import { istioFixture, tempEnv, testContext } from '../helpers/env.js';
import { requireReal } from '../helpers/daemons.js';
import { publishModule } from '../helpers/goproxy.js';
import { startServer } from '../helpers/http.js';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('go-modules and go-vendor with a real go and a GOPROXY built here', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let proxy: string;
  const ok = have('go') && have('python3');

  before(async () => {
    t = await tempEnv();
    proxy = path.join(t.dir, 'proxy');
    if (!ok) return;
    await publishModule(proxy, 'example.com/hello', 'v1.0.0', { 'go.mod': 'module example.com/hello\n\ngo 1.13\n', 'hello.go': 'package hello\n\nfunc Hello() string { return "hi" }\n' });
    for (const v of ['v1.1.0', 'v1.2.0']) await publishModule(proxy, 'example.com/world', v, { 'go.mod': 'module example.com/world\n\ngo 1.13\n', 'world.go': `package world\n\nconst V = "${v}"\n` });
  });
  after(() => t.cleanup());

  async function fixture(name: string, requires: string[], cfg: object = {}, goLine = '1.13') {
    const root = await istioFixture(path.join(t.dir, name), {
      files: {
        'main.go': `package main\n\nimport (\n${requires.map((r) => `\t_ "${r.split(' ')[0]}"`).join('\n')}\n)\n\nfunc main() {}\n`,
        '.devenvrc.json': JSON.stringify({ go: { proxy: `file://${proxy}` }, ...cfg }),
      },
    });
    await fs.writeFile(path.join(root, 'go.mod'), `module istio.io/istio\n\ngo ${goLine}\n\nrequire (\n${requires.map((r) => `\t${r}`).join('\n')}\n)\n`);
    // A checkout has its go.sum committed: make one with a throwaway module cache.
    const scratch = path.join(t.dir, `${name}-sumgen`);
    execFileSync('go', ['mod', 'download', ...requires.map((r) => r.replace(' ', '@'))], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: t.env.HOME, GOPATH: scratch, GOMODCACHE: path.join(scratch, 'mod'), GOCACHE: path.join(scratch, 'cache'), GOPROXY: `file://${proxy}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
      stdio: 'ignore',
    });
    execFileSync('chmod', ['-R', 'u+w', scratch]);
    const env = {
      ...t.env,
      GOPATH: path.join(t.dir, `${name}-gopath`),
      GOMODCACHE: path.join(t.dir, `${name}-modcache`),
      GOCACHE: path.join(t.dir, `${name}-gocache`),
      GOSUMDB: 'off',
      GOFLAGS: undefined,
      GOPROXY: 'off',
    };
    return { root, ctx: await testContext({ env, dir: root }) };
  }

  it('modules missing from the cache: fail; the fix downloads them through go.proxy; then ok', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { ctx } = await fixture('mods', ['example.com/hello v1.0.0']);
    const before = await runOneCheck(goModules, ctx, 30_000);
    assert.equal(before.status, 'fail', before.summary);
    assert.equal(before.summary, 'the module cache lacks 1 module of go.mod (go mod download, looked up with no network)');
    const [o] = await runFixes([goModules], ctx, { timeoutMs: 30_000 });
    assert.equal(o.action, 'fixed', o.message);
    assert.match(o.plan!.steps[0].describe, new RegExp(`GO111MODULE=on GOPROXY=file://${proxy.replace(/[/.]/g, '\\$&')} .*go mod download`));
  });

  it('a module proxy that does not answer: the fix says so in seconds and does not run go; one that answers is used', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = `http://127.0.0.1:${port}/goproxy`;
    const { ctx } = await fixture('deadproxy', ['example.com/hello v1.0.0'], { go: { proxy: dead } });
    const t0 = Date.now();
    const [o] = await runFixes([goModules], ctx, { timeoutMs: 30_000 });
    assert.equal(o.action, 'failed');
    assert.equal(
      o.message,
      `go mod download needs the Go module proxy ${dead} (GOPROXY), which does not answer: connect ECONNREFUSED 127.0.0.1:${port}; go was not run`,
    );
    assert.match(o.suggestions?.[0] ?? '', /^Set go\.proxy in the devenv config to a Go module mirror you can reach/);
    assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
    await assert.rejects(fs.access(path.join(ctx.env.GOMODCACHE!, 'cache', 'download', 'example.com')), 'go did not run');
    // A proxy that answers (404 for everything) is not in the way: go falls back to the next entry on a 404.
    const server = await startServer({});
    try {
      const { ctx: ctx2 } = await fixture('liveproxy', ['example.com/hello v1.0.0'], { go: { proxy: `${server.url}/nothing,file://${proxy}` } });
      const [o2] = await runFixes([goModules], ctx2, { timeoutMs: 30_000 });
      assert.equal(o2.action, 'fixed', o2.message);
      assert.ok(server.log.some((l) => l.startsWith('GET /nothing')), server.log.join('\n'));
    } finally {
      await server.close();
    }
  });

  it('go-vendor: absent → warn, or fail with go.vendor "required"; the fix vendors; then ok', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { ctx, root } = await fixture('vend', ['example.com/hello v1.0.0'], { go: { proxy: `file://${proxy}`, vendor: 'required' } });
    const warnCtx = { ...ctx, config: { ...ctx.config, go: { ...ctx.config.go, vendor: 'auto' as const } } };
    assert.equal((await runOneCheck(goVendor, warnCtx, 30_000)).status, 'warn');
    assert.equal((await runOneCheck(goVendor, ctx, 30_000)).status, 'fail');
    const outcomes = await runFixes([goModules, goVendor], ctx, { timeoutMs: 30_000 });
    assert.equal(outcomes[1].action, 'fixed', JSON.stringify(outcomes.map((o) => [o.id, o.action, o.message])));
    assert.match(await fs.readFile(path.join(root, 'vendor/modules.txt'), 'utf8'), /# example\.com\/hello v1\.0\.0/);
    assert.equal((await runOneCheck(goVendor, ctx, 30_000)).status, 'ok');
  });

  it('go-vendor: inconsistency is detected both ways and named', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    // go ≥ 1.14 writes `## explicit` markers, which make the reverse check possible.
    const { ctx, root } = await fixture('incons', ['example.com/hello v1.0.0', 'example.com/world v1.1.0'], {}, '1.16');
    await runFixes([goModules, goVendor], ctx, { timeoutMs: 30_000 });
    assert.equal((await runOneCheck(goVendor, ctx, 30_000)).status, 'ok');
    // go.mod moves on without re-vendoring: world v1.2.0 required, v1.1.0 vendored.
    const gomod = path.join(root, 'go.mod');
    await fs.writeFile(gomod, (await fs.readFile(gomod, 'utf8')).replace('example.com/world v1.1.0', 'example.com/world v1.2.0'));
    const r = await runOneCheck(goVendor, ctx, 30_000);
    assert.equal(r.status, 'fail');
    assert.ok(r.details?.includes('example.com/world: go.mod requires v1.2.0, vendor/modules.txt has v1.1.0'), r.details?.join('\n'));
    // And the other way: modules.txt lists a module go.mod no longer requires.
    await fs.writeFile(gomod, 'module istio.io/istio\n\ngo 1.16\n\nrequire example.com/hello v1.0.0\n');
    const r2 = await runOneCheck(goVendor, ctx, 30_000);
    assert.equal(r2.status, 'fail');
    assert.ok(r2.details?.some((d) => /example\.com\/world v1\.1\.0: explicit in vendor\/modules\.txt, not required by go\.mod/.test(d)), r2.details?.join('\n'));
    // A replacement only go itself judges: modules.txt agrees line by line, go does not.
    await fs.writeFile(gomod, 'module istio.io/istio\n\ngo 1.16\n\nrequire (\n\texample.com/hello v1.0.0\n\texample.com/world v1.1.0\n)\n\nreplace example.com/world => example.com/world v1.2.0\n');
    const r3 = await runOneCheck(goVendor, ctx, 30_000);
    assert.equal(r3.status, 'fail', r3.summary);
    assert.ok(r3.details?.some((d) => d.startsWith('go: ') && d.includes('example.com/world')), r3.details?.join('\n'));
  });

  it('--dry-run plans go mod download and go mod vendor and changes nothing', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { ctx, root } = await fixture('dry', ['example.com/hello v1.0.0'], { go: { proxy: `file://${proxy}`, vendor: 'required' } });
    const outcomes = await runFixes([goModules, goVendor], ctx, { timeoutMs: 30_000, dryRun: true });
    assert.deepEqual(outcomes.map((o) => o.action), ['planned', 'planned']);
    assert.match(outcomes[0].plan!.steps[0].describe, /GO111MODULE=on GOPROXY=file:\/\/.* mod download {2}\(in /);
    assert.equal(outcomes[1].message, 'planned after go-modules is fixed');
    await assert.rejects(fs.access(path.join(root, 'vendor')));
    await assert.rejects(fs.access(path.join(ctx.env.GOMODCACHE!, 'example.com')));
    // With the modules present, the vendor plan itself is shown, and still nothing happens.
    await runFixes([goModules], ctx, { timeoutMs: 30_000 });
    const [v] = await runFixes([goVendor], ctx, { timeoutMs: 30_000, dryRun: true });
    assert.equal(v.action, 'planned');
    assert.match(v.plan!.steps[0].describe, /move vendor\/ aside, run GO111MODULE=on .*go mod vendor in .*; restore the old vendor\/ if it fails/);
    await assert.rejects(fs.access(path.join(root, 'vendor')));
  });

  it('a failing vendor run leaves the previous vendor/ intact', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { ctx, root } = await fixture('keep', ['example.com/hello v1.0.0']);
    await runFixes([goModules, goVendor], ctx, { timeoutMs: 30_000 });
    const before = await fs.readFile(path.join(root, 'vendor/modules.txt'), 'utf8');
    const hello = await fs.readFile(path.join(root, 'vendor/example.com/hello/hello.go'), 'utf8');
    // Require a module no proxy has: go mod vendor must fail.
    await fs.writeFile(path.join(root, 'go.mod'), 'module istio.io/istio\n\ngo 1.13\n\nrequire (\n\texample.com/hello v1.0.0\n\texample.com/nowhere v9.9.9\n)\n');
    const [o] = await runFixes([goVendor], ctx, { timeoutMs: 30_000 });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', /go mod vendor failed; the previous vendor\/ was restored/);
    assert.equal(await fs.readFile(path.join(root, 'vendor/modules.txt'), 'utf8'), before);
    assert.equal(await fs.readFile(path.join(root, 'vendor/example.com/hello/hello.go'), 'utf8'), hello);
    assert.deepEqual((await fs.readdir(root)).filter((f) => f.startsWith('.vendor')), []);
  });
});

describe('vendor/modules.txt comparison (unit)', () => {
  it('finds missing, mismatched and extra modules', () => {
    const req = parseRequires('module x\n\ngo 1.13\n\nrequire (\n\ta.com/a v1.0.0\n\tb.com/b v1.1.0 // indirect\n)\nrequire c.com/c v0.1.0\n');
    assert.deepEqual(req.map((r) => r.path), ['a.com/a', 'b.com/b', 'c.com/c']);
    const txt = '# a.com/a v1.0.0\n## explicit\na.com/a\n# b.com/b v1.0.0\n## explicit\n# d.com/d v2.0.0\n## explicit\n';
    assert.deepEqual(describeDiff(compareVendor(req, txt)), [
      'c.com/c v0.1.0: required by go.mod, not in vendor/modules.txt',
      'b.com/b: go.mod requires v1.1.0, vendor/modules.txt has v1.0.0',
      'd.com/d v2.0.0: explicit in vendor/modules.txt, not required by go.mod',
    ]);
  });
});

describe('go-modules on 1.2/1.3 (committed vendor/, GOPATH mode): never `go mod download`', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('warns with GOFLAGS=-mod=vendor (or Go 1.12) as the way, plans no download; ok with GOFLAGS=-mod=vendor', async (tc) => {
    if (!requireReal(tc, 'go', have('go'))) return;
    const { makeIstioTree } = await import('../helpers/fixtures.js');
    for (const minor of [2, 3]) {
      const tree = await makeIstioTree(path.join(t.dir, `v${minor}`), '1.2-1.3', { minor });
      const env = { ...t.env, GOPATH: tree.gopath, GOFLAGS: undefined, GOPROXY: 'off', GOTOOLCHAIN: 'local' };
      const ctx = await testContext({ env, dir: tree.root });
      const calls: string[] = [];
      const spy: typeof ctx.exec = (cmd, args, o) => {
        calls.push([cmd, ...args].join(' '));
        return ctx.exec(cmd, args, o);
      };
      const r = await runOneCheck(goModules, { ...ctx, exec: spy }, 30_000);
      assert.equal(r.status, 'warn', r.summary);
      assert.match(r.hint ?? '', /GOFLAGS=-mod=vendor.*\(or build with Go 1\.12\)/);
      assert.equal(r.source, 'vendor/modules.txt:1');
      assert.ok(!calls.some((c) => / mod download/.test(c)), calls.join('\n'));
      const [o] = await runFixes([goModules], ctx, { timeoutMs: 30_000, yes: true });
      assert.equal(o.action, 'manual', JSON.stringify(o));
      assert.deepEqual(o.plan?.steps.map((st) => [st.kind, Boolean(st.run)]), [['manual', false]]);
      assert.match(o.plan!.steps[0].describe, /^export GOFLAGS=-mod=vendor/);
      assert.ok(!JSON.stringify(o).includes('go mod download'), JSON.stringify(o));
      const vendorCtx = await testContext({ env: { ...env, GOFLAGS: '-mod=vendor' }, dir: tree.root });
      assert.equal((await runOneCheck(goModules, vendorCtx, 30_000)).status, 'ok');
    }
  });
});
