/**
 * Every release-line family, end to end: devenv fixes the artifact checks
 * against loopback mirrors, then the fixture's own `make init` (our scripts,
 * in the shape of that line's) runs under `unshare -n`, with no network at all,
 * and must pass without downloading anything. 1.2/1.3 instead get the warning
 * about their unconditional istio_proxy.deps fetch, and make init fails there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFrom, runCli, tempEnv } from '../helpers/env.js';
import { makeIstioTree, mirrorPath, tarball, upstreamArtifacts, type Family, type IstioTree, type UpstreamArtifact } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http.js';

const IDS = ['envoy-binaries', 'wasm-filters', 'ztunnel', 'helm'];

function haveUnshare(): boolean {
  return spawnSync('unshare', ['-n', 'true']).status === 0 && spawnSync('make', ['--version']).status === 0;
}

interface Case {
  family: Family;
  minor?: number;
  arch?: string;
  debug?: boolean;
}

const CASES: Case[] = [
  { family: '1.1' },
  { family: '1.2-1.3', minor: 2 },
  { family: '1.2-1.3', minor: 3 },
  { family: '1.4' },
  { family: '1.5', debug: true },
  { family: '1.6-1.7', minor: 6 },
  { family: '1.6-1.7', minor: 7 },
  { family: '1.8-1.16', minor: 8 },
  { family: '1.8-1.16', minor: 16, arch: 'arm64' },
  { family: '1.20+' },
  { family: '1.20+', arch: 'arm64' },
  { family: 'master' },
];

describe('make init offline after devenv fix, per release line (loopback mirrors, unshare -n)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  let cfg: string;
  const ok = haveUnshare();

  before(async () => {
    t = await tempEnv();
    server = await startServer();
    cfg = path.join(t.dir, 'devenv.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/gcs/`, 'https://blob.istio.io/': `${server.url}/blob/` } } }));
  });
  after(async () => {
    await server?.close();
    await t?.cleanup();
  });

  async function serve(tree: IstioTree, arts: UpstreamArtifact[]): Promise<void> {
    for (const a of arts) {
      const body = a.member ? await tarball(t.dir, a.member, a.content) : Buffer.from(a.content);
      server.routes.set(mirrorPath(a.url), { body });
    }
    void tree;
  }

  /** `make init` in the tree under unshare -n (no network namespace at all): bash --norc --noprofile runs make. */
  function makeInit(tree: IstioTree, extra: Record<string, string> = {}) {
    const env = { PATH: process.env.PATH ?? '', HOME: t.env.HOME!, BUILD_WITH_CONTAINER: '0', ...(tree.gopath ? { GOPATH: tree.gopath } : {}), ...extra };
    return spawnSync('unshare', ['-n', 'bash', '--norc', '--noprofile', '-c', 'make --no-print-directory init'], { cwd: tree.root, env, encoding: 'utf8', timeout: 60_000 });
  }

  for (const c of CASES) {
    const name = `${c.family}${c.minor ? ` (1.${c.minor})` : ''}${c.arch ? ` ${c.arch}` : ''}${c.debug ? ' DEBUG_IMAGE' : ''}`;
    it(name, { skip: !ok && process.env.CI !== 'true' ? 'unshare -n or make not available' : false }, async () => {
      assert.ok(ok, 'unshare -n and make are required (CI=true)');
      const dir = path.join(t.dir, name.replace(/\W+/g, '_'));
      const tree = await makeIstioTree(dir, c.family, { minor: c.minor });
      const arch = c.arch ?? 'amd64';
      const arts = upstreamArtifacts(tree, arch, { debug: c.debug });
      await serve(tree, arts);
      const lineEnv: Record<string, string> = { BUILD_WITH_CONTAINER: '0', ...(tree.gopath ? { GOPATH: tree.gopath } : {}), ...(c.arch ? { TARGET_ARCH: c.arch } : {}), ...(c.debug ? { DEBUG_IMAGE: '1' } : {}) };
      const env = { ...t.env, ...lineEnv, DEVENV_CONFIG: cfg };

      // The control: without devenv, make init needs the network and fails under unshare -n.
      const bare = await makeIstioTree(path.join(dir, '..', `${path.basename(dir)}-bare`), c.family, { minor: c.minor });
      const control = makeInit(bare, { ...lineEnv, ...(bare.gopath ? { GOPATH: bare.gopath } : {}) });
      assert.notEqual(control.status, 0, `make init without devenv passed offline?\n${control.stdout}\n${control.stderr}`);
      assert.match(control.stderr, /DOWNLOADING/);

      const fix = await runCli(['fix', ...IDS, '--yes', '--json', '--dir', tree.root], { env, timeoutMs: 120_000 });
      const fixes = JSON.parse(fix.stdout).fixes as { id: string; action: string; message: string | null; notes: string[]; after: { status: string; summary: string } | null; before: { status: string; summary: string } }[];
      const by = new Map(fixes.map((f) => [f.id, f]));
      assert.equal(fix.code, 0, `${fix.stdout}\n${fix.stderr}`);
      // Every upstream artifact of the line was fetched from the mirror, and nothing else.
      for (const a of arts) assert.ok(server.log.some((l) => l.startsWith(`GET ${mirrorPath(a.url)}`)), `${a.url} was not fetched (${server.log.join(', ')})`);
      const m = tree.minor;
      assert.equal(by.get('wasm-filters')!.before.status, m >= 5 && m < 20 ? 'fail' : 'skip');
      assert.equal(by.get('ztunnel')!.before.status, m >= 20 ? 'fail' : 'skip');
      assert.equal(by.get('helm')!.before.status, m <= 4 ? 'fail' : 'skip');

      const run = makeInit(tree, lineEnv);
      const out = tree.era === 'gopath' ? path.join(tree.gopath!, 'out', `linux_amd64`, 'release') : path.join(tree.root, 'out', `linux_${arch}`);
      if (m === 2 || m === 3) {
        // Never promised offline: doctor warns, naming the fetch and the way out, and make init indeed fails on it.
        const doc = await runCli(['doctor', '--json', '--only', 'init-network', '--dir', tree.root], { env });
        const warn = checkFrom(doc.stdout, 'init-network');
        assert.equal(warn.status, 'warn', JSON.stringify(warn));
        assert.match(String(warn.summary), /raw\.githubusercontent\.com\/istio\/proxy\/[0-9a-f]{40}\/istio\.deps/);
        assert.match(String(warn.summary), /no prefetch can satisfy/);
        assert.match(String(warn.hint), /Run make init once where raw\.githubusercontent\.com is reachable/);
        assert.equal(doc.code, 0, 'a warning is not a failure');
        assert.notEqual(run.status, 0, 'make init passed offline on a line that fetches istio.deps unconditionally');
        assert.match(run.stderr, /DOWNLOADING https:\/\/raw\.githubusercontent\.com\/istio\/proxy\//);
        assert.doesNotMatch(run.stderr, /DOWNLOADING https:\/\/storage/, 'Envoy was not in place');
      } else {
        const doc = await runCli(['doctor', '--json', '--only', 'init-network', '--dir', tree.root], { env });
        assert.equal(checkFrom(doc.stdout, 'init-network').status, 'skip');
        assert.equal(run.status, 0, `make init failed offline:\n${run.stdout}\n${run.stderr}`);
        assert.doesNotMatch(run.stderr, /DOWNLOADING/, run.stderr);
        // What init.sh left at $ISTIO_OUT/envoy is the build the line's script puts there.
        const envoy = await fs.readFile(path.join(out, 'envoy'), 'utf8');
        assert.match(envoy, m <= 4 ? /envoy debug/ : /envoy release/, `$ISTIO_OUT/envoy is ${envoy}`);
        if (m >= 20) assert.match(await fs.readFile(path.join(tree.root, 'out', `linux_${arch}`, 'ztunnel'), 'utf8'), new RegExp(`ztunnel ${arch}`));
        if (m >= 5 && m < 20) assert.match(await fs.readFile(path.join(tree.root, 'out', m >= 12 ? `linux_${arch}` : 'linux_amd64', 'release', 'stats-filter.wasm'), 'utf8'), /wasm stats/);
        if (tree.helmVersion) assert.match(await fs.readFile(path.join(out, 'helm'), 'utf8'), new RegExp(`helm ${tree.helmVersion}`));
        if (m <= 2) await assert.rejects(fs.access(path.join(tree.gopath!, 'out/linux_amd64/debug/envoy')), '1.1/1.2 make no envoy copy beside the versioned file');
      }

      // doctor agrees afterwards; a second fix downloads nothing.
      const after = await runCli(['doctor', '--json', '--only', IDS.join(','), '--dir', tree.root], { env });
      for (const id of IDS) assert.ok(['ok', 'skip'].includes(String(checkFrom(after.stdout, id).status)), `${id}: ${checkFrom(after.stdout, id).summary}`);
      const requests = server.log.length;
      const again = await runCli(['fix', ...IDS, '--yes', '--json', '--dir', tree.root], { env, timeoutMs: 60_000 });
      for (const f of JSON.parse(again.stdout).fixes) assert.ok(['already-ok', 'skipped'].includes(f.action) && f.ok, JSON.stringify(f));
      assert.equal(server.log.length, requests, `a second fix made requests: ${server.log.slice(requests).join(', ')}`);
    });
  }

  it('a refix downloads only what is missing', { skip: !ok && process.env.CI !== 'true' ? 'unshare -n or make not available' : false }, async () => {
    const tree = await makeIstioTree(path.join(t.dir, 'refix'), '1.8-1.16', { minor: 16 });
    const arts = upstreamArtifacts(tree);
    await serve(tree, arts);
    const env = { ...t.env, BUILD_WITH_CONTAINER: '0', DEVENV_CONFIG: cfg, XDG_CACHE_HOME: path.join(t.dir, 'refix-cache') };
    const first = await runCli(['fix', 'envoy-binaries', 'wasm-filters', '--yes', '--json', '--dir', tree.root], { env, timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stdout);
    const rel = path.join(tree.root, 'out/linux_amd64/release');
    await fs.rm(path.join(rel, `envoy-centos-${tree.proxySha}`));
    await fs.rm(path.join(rel, 'stats-filter.wasm')); // only the copy: the download itself is still there
    const from = server.log.length;
    const second = await runCli(['fix', 'envoy-binaries', 'wasm-filters', '--yes', '--json', '--dir', tree.root], { env: { ...env, XDG_CACHE_HOME: path.join(t.dir, 'refix-cache-2') }, timeoutMs: 120_000 });
    assert.equal(second.code, 0, second.stdout);
    const got = server.log.slice(from).filter((l) => !l.includes('.sha256'));
    assert.deepEqual(got, [`GET ${mirrorPath(arts.find((a) => a.url.includes('envoy-centos'))!.url)}`]);
    assert.match(await fs.readFile(path.join(rel, 'stats-filter.wasm'), 'utf8'), /wasm stats/);
  });
});
