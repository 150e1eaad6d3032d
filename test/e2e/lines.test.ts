/**
 * Every release-line family, end to end: devenv fixes the artifact checks
 * against loopback mirrors, then the fixture's own `make init` (our scripts,
 * in the shape of that line's) runs under `unshare -n`, with no network at all,
 * and must pass without downloading anything. 1.2/1.3 instead get the warning
 * about their unconditional istio_proxy.deps fetch, and make init fails there.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFrom, runCli, tempEnv } from '../helpers/env.js';
import { makeIstioTree, mirrorPath, tarball, upstreamArtifacts, type Family, type IstioTree, type UpstreamArtifact } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http.js';

const IDS = ['envoy-binaries', 'wasm-filters', 'ztunnel', 'helm'];
/** Newer Go lines the fixtures require than the machine's (go.mod 1.20 / 1.21 / 1.22.0 / 1.26.0): served as releases on the loopback index. */
const GO_RELEASES = ['1.20.14', '1.21.13', '1.22.12', '1.26.0'];
const goArchName = process.arch === 'arm64' ? 'arm64' : 'amd64';

/**
 * What `fix --all` does with each selected check on a mirror-only machine (Go 1.19 on PATH,
 * HUB/TAG set, BUILD_WITH_CONTAINER=0, mirrors for the artifact buckets and the Go index).
 */
function expectedActions(m: number, docker: boolean): Record<string, string> {
  const e: Record<string, string> = {};
  // go.mod asks for 1.12–1.19: the machine's go 1.19 is enough. 1.18+/master ask for newer: installed from the
  // loopback index, but not first on PATH (this test does not eval devenv shellenv), so better, not fixed. 1.1 has no go.mod.
  // Selected only where it fails (1.18+) or as the prerequisite of a selected go-modules (1.2/1.3).
  if (m >= 18) e['go-version'] = 'improved';
  else if (m === 2 || m === 3) e['go-version'] = 'already-ok';
  e.ruby = 'already-ok'; // /usr/bin/ruby
  // No gem mirror can be served here (gem.source points at the loopback server, which has no gem index): gem install fails.
  e.fpm = 'failed';
  // 1.1/1.4 build in GOPATH mode; GO111MODULE is the person's shell setting, devenv only says what to set.
  if (m === 1 || m === 4) e['gopath-layout'] = 'manual';
  // 1.2/1.3: vendor/ + GOPATH mode, but go ≥1.13 enters module mode: the person sets GO111MODULE=off (manual).
  if (m === 2 || m === 3) e['go-modules'] = 'manual';
  // No requires: the module cache has everything. 1.18+: skipped in the pass (go-version fails), so selected, and looked at
  // again once go-version was improved: `go mod download` runs the installed Go, which in this test is a stand-in (the
  // machine's go 1.19 under a newer release's name: no real newer Go can be had offline). go 1.19 reads 1.18's `go 1.20`
  // (already-ok) but not `go 1.22.0`/`go 1.26.0` (failed); with a real Go of that line it would be already-ok too.
  // 1.4–1.16: ok (and nothing selects it as a prerequisite), so --all leaves it out.
  if (m >= 18) e['go-modules'] = m >= 20 ? 'failed' : 'already-ok';
  // A tree with no requires has nothing to vendor: go-vendor is ok, so --all does not select it (1.4–1.16).
  // 1.18+: selected with go-modules; looked at again after it (already-ok), or skipped where it failed (1.20+).
  if (m >= 18) e['go-vendor'] = m >= 20 ? 'skipped' : 'already-ok';
  if (!docker) {
    // No daemon at DOCKER_HOST: starting one is the person's. With the harness daemon neither is failing, so --all
    // (failing checks and what they need) does not select them.
    e['docker-daemon'] = 'manual';
    e['distroless-images'] = 'skipped'; // needs docker-daemon
  }
  e['envoy-binaries'] = 'fixed';
  if (m >= 5 && m <= 17) e['wasm-filters'] = 'fixed';
  if (m >= 18) e.ztunnel = 'fixed';
  if (m <= 4) e.helm = 'fixed';
  if (m <= 5) e['kubectl-cache'] = 'fixed';
  e['hub-tag'] = 'already-ok'; // HUB and TAG set
  e['registry-login'] = 'manual'; // no docker login for HUB's registry: make init does not push
  return e;
}

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
  { family: '1.18' },
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
    // Go releases as go.dev/dl publishes them: the machine's go, repackaged; go/bin/go reports the release's version.
    const goBin = execFileSync('go', ['env', 'GOROOT']).toString().trim() + '/bin/go';
    const index: unknown[] = [];
    for (const v of GO_RELEASES) {
      const src = path.join(t.dir, `go${v}-src`);
      await fs.mkdir(path.join(src, 'go', 'bin'), { recursive: true });
      await fs.writeFile(path.join(src, 'go', 'bin', 'go'), `#!/bin/sh\nif [ "$1" = version ]; then echo "go version go${v} linux/${goArchName}"; exit 0; fi\nexec ${goBin} "$@"\n`, { mode: 0o755 });
      await fs.writeFile(path.join(src, 'go', 'VERSION'), `go${v}\n`);
      const tgz = path.join(t.dir, `go${v}.tar.gz`);
      execFileSync('tar', ['-C', src, '-czf', tgz, 'go']);
      const body = await fs.readFile(tgz);
      const filename = `go${v}.linux-${goArchName}.tar.gz`;
      server.routes.set(`/dl/${filename}`, { body });
      index.push({ version: `go${v}`, stable: true, files: [{ filename, os: 'linux', arch: goArchName, version: `go${v}`, sha256: createHash('sha256').update(body).digest('hex'), size: body.length, kind: 'archive' }] });
    }
    server.routes.set('/dl/', { body: JSON.stringify(index), contentType: 'application/json' });
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', go: { downloadBase: `${server.url}/dl/` }, gem: { source: `${server.url}/gems/` }, mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/gcs/`, 'https://blob.istio.io/': `${server.url}/blob/` } } }));
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
    // kubectl for the lines whose Dockerfile.kubectl ADDs it (kubectl-cache prefetches it; make init does not fetch it).
    if (tree.kubectlVersion) server.routes.set(`/gcs/kubernetes-release/release/${tree.kubectlVersion}/bin/linux/amd64/kubectl`, { body: `#!/bin/sh\necho kubectl ${tree.kubectlVersion}\n` });
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
      const docker = process.env.DEVENV_TEST_DOCKER_HOST;
      const env = {
        ...t.env,
        ...lineEnv,
        DEVENV_CONFIG: cfg,
        HUB: 'localhost:5000/istio',
        TAG: 'dev',
        DOCKER_HOST: docker ?? `unix://${path.join(t.dir, 'no-dockerd.sock')}`,
        // each case installs its own Go (or none), so no case sees another's toolchain
        XDG_DATA_HOME: path.join(dir, '..', `${path.basename(dir)}-data`),
      };

      // The control: without devenv, make init needs the network and fails under unshare -n.
      const bare = await makeIstioTree(path.join(dir, '..', `${path.basename(dir)}-bare`), c.family, { minor: c.minor });
      const control = makeInit(bare, { ...lineEnv, ...(bare.gopath ? { GOPATH: bare.gopath } : {}) });
      assert.notEqual(control.status, 0, `make init without devenv passed offline?\n${control.stdout}\n${control.stderr}`);
      assert.match(control.stderr, /DOWNLOADING/);

      const fix = await runCli(['fix', '--all', '--yes', '--json', '--dir', tree.root], { env, timeoutMs: 180_000 });
      const fixes = JSON.parse(fix.stdout).fixes as { id: string; action: string; message: string | null; notes: string[]; after: { status: string; summary: string } | null; before: { status: string; summary: string } }[];
      const by = new Map(fixes.map((f) => [f.id, f]));
      const want = expectedActions(tree.minor, !!docker);
      const got = Object.fromEntries(fixes.map((f) => [f.id, f.action]));
      assert.deepEqual(got, want, fixes.map((f) => `${f.id}: ${f.action} ${f.message ?? ''}`).join('\n'));
      for (const id of ['envoy-binaries', 'wasm-filters', 'ztunnel', 'helm', 'kubectl-cache']) if (by.has(id)) assert.equal(by.get(id)!.after?.status, 'ok', id);
      if (tree.minor >= 18) assert.match(by.get('go-version')!.after!.summary, /go 1\.(20|22|26)\.\d+ is installed at .* but not first on PATH/);
      assert.equal(fix.code, 1, 'what is left (fpm, manual steps) is not all ok');
      // Every upstream artifact of the line was fetched from the mirror, and nothing else.
      for (const a of arts) assert.ok(server.log.some((l) => l.startsWith(`GET ${mirrorPath(a.url)}`)), `${a.url} was not fetched (${server.log.join(', ')})`);
      const m = tree.minor;
      // Each artifact check was selected only where the line has that artifact, and was failing before.
      for (const [id, has] of [['wasm-filters', m >= 5 && m <= 17], ['ztunnel', m >= 18], ['helm', m <= 4]] as const) assert.equal(by.get(id)?.before.status, has ? 'fail' : undefined, id);

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
        if (m >= 18) assert.match(await fs.readFile(path.join(tree.root, 'out', `linux_${arch}`, 'ztunnel'), 'utf8'), new RegExp(`ztunnel ${arch}`));
        if (m >= 5 && m <= 17) assert.match(await fs.readFile(path.join(tree.root, 'out', m >= 12 ? `linux_${arch}` : 'linux_amd64', 'release', 'stats-filter.wasm'), 'utf8'), /wasm stats/);
        if (tree.helmVersion) assert.match(await fs.readFile(path.join(out, 'helm'), 'utf8'), new RegExp(`helm ${tree.helmVersion}`));
        if (m <= 2) await assert.rejects(fs.access(path.join(tree.gopath!, 'out/linux_amd64/debug/envoy')), '1.1/1.2 make no envoy copy beside the versioned file');
      }

      // doctor agrees afterwards; a second fix downloads nothing.
      const after = await runCli(['doctor', '--json', '--only', IDS.join(','), '--dir', tree.root], { env });
      for (const id of IDS) assert.ok(['ok', 'skip'].includes(String(checkFrom(after.stdout, id).status)), `${id}: ${checkFrom(after.stdout, id).summary}`);
      const requests = server.log.length;
      const again = await runCli(['fix', '--all', '--yes', '--json', '--dir', tree.root], { env, timeoutMs: 120_000 });
      for (const f of JSON.parse(again.stdout).fixes) if (IDS.includes(f.id) || f.id === 'kubectl-cache') assert.ok(['already-ok', 'skipped'].includes(f.action) && f.ok, JSON.stringify(f));
      // Nothing is downloaded again; the only requests are fpm's retried `gem install` asking the (empty) gem source.
      const second = server.log.slice(requests).filter((l) => !/^(GET|HEAD) \/gems\//.test(l));
      assert.deepEqual(second, [], `a second fix made requests: ${second.join(', ')}`);
      assert.equal(JSON.parse(again.stdout).fixes.find((f: { id: string }) => f.id === 'fpm').action, 'failed');
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
