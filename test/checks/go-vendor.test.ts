/**
 * Interrupting `fix go-vendor` (issue 12 item 1): with a real go, a GOPROXY
 * served slowly over loopback, and real SIGTERM / kill -9 of the devenv process.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { istioFixture, runCli, tempEnv, testContext } from '../helpers/env.js';
import { goModules } from '../../checks/go-modules.js';
import { goVendor } from '../../checks/go-vendor.js';
import { goVersion } from '../../checks/go-version.js';
import { runChecks, runFixes, runOneCheck } from '../../src/engine/engine.js';
import { makeIstioTree } from '../helpers/fixtures.js';
import { requireReal } from '../helpers/daemons.js';
import { processesUsing, publishModule, serveDirSlowly, startCli, treeHash, waitFor, type SlowServer } from '../helpers/procs.js';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const leftovers = async (root: string) => (await fs.readdir(root)).filter((n) => n.startsWith('.vendor.devenv-'));

describe('fix go-vendor interrupted: vendor/ is restored, go dies with devenv, leftovers are found', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let proxy: string;
  let slow: SlowServer;
  const ok = have('go') && have('python3');

  before(async () => {
    t = await tempEnv();
    proxy = path.join(t.dir, 'proxy');
    if (!ok) return;
    await publishModule(proxy, 'example.com/hello', 'v1.0.0', { 'go.mod': 'module example.com/hello\n\ngo 1.13\n', 'hello.go': 'package hello\n\nfunc Hello() string { return "hi" }\n' });
    // Big and incompressible, so that at 40 KB/s its download takes several seconds.
    await publishModule(proxy, 'example.com/big', 'v1.0.0', {
      'go.mod': 'module example.com/big\n\ngo 1.13\n',
      'big.go': `package big\n\nconst Blob = "${randomBytes(300_000).toString('base64')}"\n`,
    });
    slow = await serveDirSlowly(proxy, 40_000);
  });
  after(async () => {
    await slow?.close();
    await t.cleanup();
  });

  /** A checkout vendored for hello only, whose go.mod now also requires big (not in the module cache). */
  async function fixture(name: string) {
    const root = await istioFixture(path.join(t.dir, name), {
      files: {
        'main.go': 'package main\n\nimport (\n\t_ "example.com/hello"\n\t_ "example.com/big"\n)\n\nfunc main() {}\n',
        '.devenvrc.json': JSON.stringify({ go: { proxy: `${slow.url}/` } }),
      },
    });
    const goenv = (tag: string) => ({ PATH: process.env.PATH, HOME: t.env.HOME, GOPATH: path.join(t.dir, `${name}-${tag}`), GOMODCACHE: path.join(t.dir, `${name}-${tag}`, 'mod'), GOCACHE: path.join(t.dir, `${name}-${tag}`, 'cache'), GOPROXY: `file://${proxy}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' });
    // vendor/ as the user has it: hello only.
    await fs.writeFile(path.join(root, 'main.go'), 'package main\n\nimport _ "example.com/hello"\n\nfunc main() {}\n');
    await fs.writeFile(path.join(root, 'go.mod'), 'module istio.io/istio\n\ngo 1.16\n\nrequire example.com/hello v1.0.0\n');
    execFileSync('go', ['mod', 'download', 'example.com/hello@v1.0.0'], { cwd: root, env: goenv('a'), stdio: 'ignore' });
    execFileSync('go', ['mod', 'vendor'], { cwd: root, env: goenv('a'), stdio: 'pipe' });
    await fs.writeFile(path.join(root, 'vendor', 'user-note.txt'), 'bytes only the user has\n');
    // go.mod moves on: big is required too (go.sum committed, as in a checkout).
    await fs.writeFile(path.join(root, 'main.go'), 'package main\n\nimport (\n\t_ "example.com/hello"\n\t_ "example.com/big"\n)\n\nfunc main() {}\n');
    await fs.writeFile(path.join(root, 'go.mod'), 'module istio.io/istio\n\ngo 1.16\n\nrequire (\n\texample.com/hello v1.0.0\n\texample.com/big v1.0.0\n)\n');
    // The user's module cache has both modules (go-modules passes), but big.go is a FIFO nobody writes:
    // go mod vendor, which reads package sources, hangs there as a stuck go would, with vendor/ moved aside.
    const env = { ...t.env, GOPATH: path.join(t.dir, `${name}-gopath`), GOMODCACHE: path.join(t.dir, `${name}-modcache`), GOCACHE: path.join(t.dir, `${name}-gocache`), GOSUMDB: 'off', GOTOOLCHAIN: 'local', GOFLAGS: undefined };
    execFileSync('go', ['mod', 'download', 'example.com/big@v1.0.0', 'example.com/hello@v1.0.0'], { cwd: root, env: { ...goenv('b'), GOMODCACHE: env.GOMODCACHE }, stdio: 'ignore' });
    execFileSync('chmod', ['-R', 'u+w', t.dir]);
    const bigGo = path.join(env.GOMODCACHE, 'example.com', 'big@v1.0.0', 'big.go');
    const unhang = async () => {
      await fs.rm(bigGo, { force: true });
      await fs.writeFile(bigGo, 'package big\n');
    };
    await fs.rm(bigGo);
    execFileSync('mkfifo', [bigGo]);
    return { root, env, unhang, vendorHash: await treeHash(path.join(root, 'vendor')) };
  }

  /** Starts `fix go-vendor` and waits until go is downloading the big module (vendor/ is moved aside by then). */
  async function interruptedRun(root: string, env: Record<string, string | undefined>) {
    const cli = startCli(['fix', 'go-vendor', '--yes', '--dir', root], { env });
    await waitFor(async () => (await processesUsing(root)).some((p) => /mod vendor/.test(p.cmd)), 30_000, 'go mod vendor to start').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(await processesUsing(root))}\n${cli.stdout()}${cli.stderr()}`);
    });
    await waitFor(async () => (await leftovers(root)).length > 0, 5_000, 'vendor/ moved aside').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(await processesUsing(root))}\n${(await fs.readdir(root)).join(' ')}\n${slow.log.join(' ')}\n${cli.stdout()}${cli.stderr()}`);
    });
    await new Promise((r) => setTimeout(r, 300));
    return cli;
  }

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`${sig} mid-vendor: exits 128+n with the previous vendor/ back byte for byte, no copy aside, no go left running`, async (tc) => {
      if (!requireReal(tc, 'go and python3', ok)) return;
      const { root, env, vendorHash } = await fixture(`sig-${sig}`);
      const cli = await interruptedRun(root, env);
      process.kill(cli.pid, sig);
      const { code } = await cli.done;
      assert.equal(code, sig === 'SIGTERM' ? 143 : 130, cli.stderr());
      assert.match(cli.stderr(), /restoring .*vendor/);
      assert.equal(await treeHash(path.join(root, 'vendor')), vendorHash);
      assert.deepEqual(await leftovers(root), []);
      assert.deepEqual(await processesUsing(root), []);
    });
  }

  it('kill -9 mid-vendor: go dies too; doctor reports the leftover; fix restores it and vendors; a second fix is a no-op', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { root, env, vendorHash, unhang } = await fixture('kill9');
    const cli = await interruptedRun(root, env);
    assert.ok((await processesUsing(root)).some((p) => /\bgo\b.*mod vendor|\/go mod vendor/.test(p.cmd)), 'go mod vendor is running');
    process.kill(cli.pid, 'SIGKILL');
    await cli.done;
    // setpriv --pdeathsig: go is killed with devenv.
    await waitFor(async () => (await processesUsing(root)).length === 0, 5_000, 'no process left in the checkout');
    const [aside] = await leftovers(root);
    assert.ok(aside, 'the previous vendor/ is kept aside');
    assert.equal(await treeHash(path.join(root, aside)), vendorHash);

    await unhang();
    const doc = await runCli(['doctor', '--json', '--dir', root, '--timeout', '60'], { env, timeoutMs: 90_000 });
    const check = (JSON.parse(doc.stdout) as { checks: { id: string; status: string; summary: string }[] }).checks.find((c) => c.id === 'go-vendor')!;
    assert.equal(check.status, 'fail');
    assert.match(check.summary, new RegExp(`interrupted .*${aside.replace(/\./g, '\\.')}`));

    const fixed = await runCli(['fix', 'go-vendor', '--yes', '--json', '--dir', root, '--timeout', '60'], { env, timeoutMs: 120_000 });
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(JSON.stringify(JSON.parse(fixed.stdout)), new RegExp(`restore ${aside.replace(/\./g, '\\.')}`));
    assert.deepEqual(await leftovers(root), []);
    assert.match(await fs.readFile(path.join(root, 'vendor', 'modules.txt'), 'utf8'), /# example\.com\/big v1\.0\.0/);
    const again = await runCli(['fix', 'go-vendor', '--yes', '--dir', root, '--timeout', '60'], { env, timeoutMs: 90_000 });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /go-vendor\]: nothing to do/);
  });

  it('a hung go mod vendor is stopped at fix.commandTimeoutMs, says what it waited for, and vendor/ is restored', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { root, env, vendorHash } = await fixture('hung');
    await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ go: { proxy: `${slow.url}/` }, fix: { commandTimeoutMs: 2000 } }));
    const r = await runCli(['fix', 'go-vendor', '--yes', '--json', '--dir', root, '--timeout', '60'], { env, timeoutMs: 90_000 });
    assert.equal(r.code, 1);
    const fix = (JSON.parse(r.stdout) as { fixes: { id: string; action: string; message?: string }[] }).fixes.find((f) => f.id === 'go-vendor')!;
    assert.equal(fix.action, 'failed');
    assert.match(fix.message ?? '', /go mod vendor did not finish within 2 s \(fix\.commandTimeoutMs\) and was stopped; the previous vendor\/ was restored/);
    assert.ok(r.durationMs < 30_000, `took ${r.durationMs}ms`);
    assert.equal(await treeHash(path.join(root, 'vendor')), vendorHash);
    assert.deepEqual(await leftovers(root), []);
    await waitFor(async () => (await processesUsing(root)).length === 0, 5_000, 'go stopped');
  });

  it('a leftover beside a consistent vendor/ is removed, not restored over it', async (tc) => {
    if (!requireReal(tc, 'go and python3', ok)) return;
    const { root, env, unhang } = await fixture('stale');
    await unhang();
    const done = await runCli(['fix', 'go-vendor', '--yes', '--dir', root, '--timeout', '60'], { env, timeoutMs: 120_000 });
    assert.equal(done.code, 0, done.stdout + done.stderr);
    const good = await treeHash(path.join(root, 'vendor'));
    // As today's main leaves it after kill -9 (no pid in the name).
    await fs.mkdir(path.join(root, '.vendor.devenv-0badc0de', 'example.com'), { recursive: true });
    const fixed = await runCli(['fix', 'go-vendor', '--yes', '--json', '--dir', root, '--timeout', '60'], { env, timeoutMs: 120_000 });
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.match(fixed.stdout, /remove \.vendor\.devenv-0badc0de/);
    assert.deepEqual(await leftovers(root), []);
    assert.equal(await treeHash(path.join(root, 'vendor')), good);
  });
});

const haveGo = (): boolean => {
  try {
    execFileSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('go-vendor on 1.2/1.3: the committed vendor/ is checked (not skipped behind go-modules) and never re-vendored', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('runs after go-modules warns; a missing vendor/ fails and the fix is `git checkout -- vendor/`', async (tc) => {
    if (!requireReal(tc, 'go', haveGo())) return;
    const tree = await makeIstioTree(path.join(t.dir, 'v13'), '1.2-1.3', { minor: 3 });
    const ctx = await testContext({ env: { ...t.env, GOPATH: tree.gopath, GOFLAGS: undefined, GOPROXY: 'off', GOTOOLCHAIN: 'local' }, dir: tree.root });
    const results = await runChecks([goVersion, goModules, goVendor], ctx, { timeoutMs: 30_000 });
    const by = new Map(results.map((r) => [r.id, r]));
    assert.equal(by.get('go-modules')!.status, 'warn');
    assert.equal(by.get('go-vendor')!.status, 'ok', by.get('go-vendor')!.summary);

    await fs.rm(path.join(tree.root, 'vendor'), { recursive: true });
    const missing = await runChecks([goVersion, goModules, goVendor], ctx.fresh(), { timeoutMs: 30_000 });
    const v = missing.find((r) => r.id === 'go-vendor')!;
    assert.equal(v.status, 'fail');
    assert.match(v.summary, /committed in git/);
    const outcomes = await runFixes([goModules, goVendor], ctx.fresh(), { timeoutMs: 30_000, yes: true, dryRun: true });
    const fixV = outcomes.find((o) => o.id === 'go-vendor')!;
    assert.deepEqual(fixV.plan?.steps.map((s) => [s.kind, s.describe]), [['manual', `git -C ${tree.root} checkout -- vendor/`]]);
    assert.ok(!JSON.stringify(outcomes.map((o) => o.plan)).includes('mod vendor'));
  });
});

describe('go-vendor with nothing to vendor', () => {
  it('a go.mod that requires nothing needs no vendor/ (ok); one that requires something and has none is a warning', async () => {
    const t = await tempEnv();
    try {
      const none = await istioFixture(path.join(t.dir, 'none'));
      const r = await runOneCheck(goVendor, await testContext({ env: t.env, dir: none }), 10_000);
      assert.equal(r.status, 'ok', r.summary);
      assert.match(r.summary, /requires no modules: nothing to vendor/);
      const some = await istioFixture(path.join(t.dir, 'some'));
      await fs.writeFile(path.join(some, 'go.mod'), 'module istio.io/istio\n\ngo 1.13\n\nrequire example.com/hello v1.0.0\n');
      const w = await runOneCheck(goVendor, await testContext({ env: t.env, dir: some }), 10_000);
      assert.equal(w.status, 'warn', w.summary);
      assert.match(w.summary, /no vendor\/ directory; offline builds need one/);
    } finally {
      await t.cleanup();
    }
  });
});

