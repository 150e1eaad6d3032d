/**
 * The whole air-gap flow, as a user runs it: `bundle create` on a connected
 * machine (loopback upstreams: artifacts, a Go download index, a GOPROXY
 * built here, the harness registry for images), then on a "machine" with no
 * network at all (`unshare -n`, fresh HOME/XDG_*, no go on PATH; only the
 * test dockerd's unix socket is reachable): `bundle load`, `devenv fix --all
 * --yes` (every check ok afterwards), the checkout's own init scripts, and
 * `go build` with the bundle's GOPROXY. The offline machine is a contributor's:
 * it has the host tools a bundle does not carry (ruby, GNU tar, and fpm, a
 * small gem of our own installed before it goes offline), HUB/TAG set and a
 * docker config with credentials for HUB's registry.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, runCliAs, tempEnv } from '../helpers/env.js';
import { docker, dockerHost, importTinyImage, registryAddr, requireReal } from '../helpers/daemons.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { buildFpmGem } from '../helpers/fpmgem.js';
import { KUBECTL_URL, PROXY_SHA, bundleCheckout, goTarball, helloProxy, upstreamRoutes } from '../helpers/bundlefixture.js';

const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A PATH directory with every command of the system PATH except go and gofmt: a machine without Go. */
async function pathWithoutGo(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  for (const d of (process.env.PATH ?? '').split(':').filter(Boolean).reverse()) {
    let names: string[] = [];
    try {
      names = await fs.readdir(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (n === 'go' || n === 'gofmt') continue;
      await fs.rm(path.join(dir, n), { force: true });
      await fs.symlink(path.join(d, n), path.join(dir, n)).catch(() => {});
    }
  }
  return dir;
}

describe('air gap: bundle create on a connected machine, bundle load + fix + make init + go build with no network', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  let goVersion = '';
  let goRoot = '';
  const host = dockerHost();
  const registry = registryAddr();
  const tag = `b${process.pid}`;
  const ready = Boolean(which('go') && which('python3') && which('unshare') && which('git') && which('gem'));
  let fpmGem = '';

  before(async () => {
    t = await tempEnv();
    if (!ready) return;
    goVersion = /go version go(\d+\.\d+(?:\.\d+)?)/.exec(execFileSync('go', ['version']).toString())![1];
    goRoot = execFileSync('go', ['env', 'GOROOT'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).toString().trim();
    const goBin = await fs.realpath(which('go')!);
    const routes = await upstreamRoutes(t.dir, { version: goVersion, arch, tarball: await goTarball(t.dir, goBin, goVersion) });
    server = await startServer(routes);
    // A small gem named fpm: the offline machine installs it before it goes offline.
    fpmGem = await buildFpmGem(path.join(t.dir, 'gemsrc'), t.env.HOME);
  });
  after(async () => {
    await server?.close();
    if (host && registry) {
      await docker(host, ['rmi', `gcr.io/distroless/static:${tag}`]);
      await docker(host, ['rmi', `${registry}/bundletest-distroless-static:${tag}`]);
      await docker(host, ['rmi', 'docker.io/istio/base:1.4-dev.4']);
      await docker(host, ['rmi', `${registry}/bundletest-istio-base:1.4-dev.4`]);
    }
    execFileSync('chmod', ['-R', 'u+w', t.dir]);
    await t.cleanup();
  });

  it('works end to end; a re-run of create fetches nothing new; a bundle for another commit is refused', async (tc) => {
    if (!requireReal(tc, 'go, python3, unshare, git and gem', ready)) return;
    if (!requireReal(tc, 'the harness dockerd', host) || !requireReal(tc, 'the harness registry', registry)) return;
    // --- the connected machine -------------------------------------------------------------
    const proxy = path.join(t.dir, 'goproxy-upstream');
    await helloProxy(proxy);
    const mirrorRef = `${registry}/bundletest-distroless-static:${tag}`;
    const baseMirror = `${registry}/bundletest-istio-base:1.4-dev.4`;
    for (const ref of [mirrorRef, baseMirror]) {
      await importTinyImage(host!, ref, `${ref} ${tag}`);
      const push = await docker(host!, ['push', ref]);
      assert.equal(push.code, 0, push.stderr);
      assert.equal((await docker(host!, ['rmi', ref])).code, 0, 'the mirror image must be pulled by create');
    }
    const goLine = goVersion.split('.').slice(0, 2).join('.');
    const online = path.join(t.dir, 'online');
    const root = await bundleCheckout(online, { goLine, proxy, from: `gcr.io/distroless/static:${tag}`, home: t.env.HOME! });
    const cfg = path.join(t.dir, 'connected.json');
    await fs.writeFile(
      cfg,
      JSON.stringify({
        prefer: 'mirror',
        mirrors: {
          urls: { 'https://storage.googleapis.com/': `${server.url}/`, 'https://go.dev/dl/': `${server.url}/dl/` },
          images: { 'gcr.io/distroless/': `${registry}/bundletest-distroless-`, 'docker.io/istio/': `${registry}/bundletest-istio-` },
        },
        go: { proxy: `file://${proxy}` },
      }),
    );
    const connected = { ...t.env, DEVENV_CONFIG: cfg, DOCKER_HOST: host, GOPATH: online, GOFLAGS: undefined, GOPROXY: undefined };
    const bundle = path.join(t.dir, 'istio.tar.gz');
    const created = await runCli(['bundle', 'create', '--dir', root, '-o', bundle], { env: connected, timeoutMs: 300_000 });
    assert.equal(created.code, 0, created.stdout + created.stderr);
    assert.match(created.stdout, /Wrote .*istio\.tar\.gz/);
    assert.match(created.stdout, /devenv bundle load/);

    const inspected = await runCli(['bundle', 'inspect', bundle, '--json'], { env: connected });
    assert.equal(inspected.code, 0, inspected.stdout + inspected.stderr);
    const info = JSON.parse(inspected.stdout);
    assert.equal(info.verified, true);
    assert.equal(info.gzip, true);
    const refs = info.manifest.items.map((i: { kind: string; ref: string }) => `${i.kind} ${i.ref}`);
    for (const want of [
      `artifact https://storage.googleapis.com/istio-build/proxy/envoy-debug-${PROXY_SHA}.tar.gz`,
      `artifact https://storage.googleapis.com/istio-build/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`,
      'artifact https://storage.googleapis.com/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz',
      `artifact ${KUBECTL_URL}`,
      `go-toolchain https://go.dev/dl/go${goVersion}.linux-${arch}.tar.gz`,
      'go-index https://go.dev/dl/?mode=json&include=all',
      'go-module example.com/hello@v1.0.0 (zip)',
      `image gcr.io/distroless/static:${tag}`,
      'image docker.io/istio/base:1.4-dev.4',
    ]) {
      assert.ok(refs.includes(want), `${want} not in ${refs.join('\n')}`);
    }
    assert.equal(info.manifest.checkout.line, '1.4');
    assert.match(info.manifest.checkout.commit, /^[0-9a-f]{40}$/);
    const image = info.manifest.items.find((i: { kind: string }) => i.kind === 'image');
    assert.match(image.image.id, /^sha256:/);

    // A re-run: every item from the caches; only the Go download index is read again.
    const before = server.log.length;
    const again = await runCli(['bundle', 'create', '--dir', root, '-o', path.join(t.dir, 'again.tar')], { env: connected, timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /nothing fetched: every item came from the caches/);
    assert.deepEqual(server.log.slice(before), ['GET /dl/?mode=json&include=all'], 'a re-run fetched an item again');

    // --- the machine with no network ------------------------------------------------------
    // The image leaves the engine (as if it were another machine's engine); the bundle brings it back.
    for (const ref of [mirrorRef, baseMirror]) assert.equal((await docker(host!, ['rmi', ref])).code, 0);
    const o = await tempEnv();
    try {
      const offlineGopath = path.join(o.dir, 'gopath');
      const offRoot = path.join(offlineGopath, 'src', 'istio.io', 'istio');
      await fs.mkdir(path.dirname(offRoot), { recursive: true });
      execFileSync('git', ['clone', '-q', root, offRoot]);
      const toolchainBin = path.join(o.env.XDG_DATA_HOME!, 'devenv', 'toolchains', `go${goVersion}`, 'bin');
      const noGo = await pathWithoutGo(path.join(o.dir, 'bin'));
      // The contributor installed fpm while still connected (a bundle carries no gems): from our local gem, into a GEM_HOME on PATH.
      const gemHome = path.join(o.dir, 'gems');
      execFileSync('gem', ['install', '--local', '--no-document', '--install-dir', gemHome, '--bindir', path.join(gemHome, 'bin'), fpmGem], { env: { ...process.env, HOME: o.env.HOME, GEM_HOME: gemHome, GEM_PATH: gemHome }, stdio: 'ignore' });
      // Fake credentials for HUB's registry: registry-login reads the config, it never logs in.
      const dockerConfig = path.join(o.dir, 'docker-config');
      await fs.mkdir(dockerConfig, { recursive: true });
      await fs.writeFile(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry!]: { auth: Buffer.from('someone:not-a-secret').toString('base64') } } }));
      // The user's shell profile has eval "$(devenv shellenv)": the installed Go is first on PATH once it exists.
      const offline = {
        ...o.env,
        PATH: `${toolchainBin}:${path.join(gemHome, 'bin')}:${noGo}`,
        GEM_HOME: gemHome,
        GEM_PATH: gemHome,
        DOCKER_HOST: host,
        DOCKER_CONFIG: dockerConfig,
        HUB: `${registry}/bundletest`,
        TAG: '1.4-dev',
        // the 1.4 line derives its output from GOPATH and builds in module mode (gopath-layout)
        GOPATH: offlineGopath,
        GO111MODULE: 'on',
        // the fake toolchain is only the go binary: the standard library comes from the installed Go
        GOROOT: goRoot,
        GOMODCACHE: path.join(o.dir, 'modcache'),
        GOCACHE: path.join(o.dir, 'gocache'),
      };
      const noNet = ['unshare', '-n'];
      // The control: without the bundle, this machine cannot fix the artifacts or Go.
      const control = await runCliAs(noNet, ['fix', 'envoy-binaries', 'go-version', '--yes', '--json', '--dir', offRoot], { env: offline, timeoutMs: 120_000 });
      assert.deepEqual(JSON.parse(control.stdout).fixes.map((f: { action: string }) => f.action), ['failed', 'failed'], control.stdout);
      const load = await runCliAs(noNet, ['bundle', 'load', bundle, '--dir', offRoot], { env: offline, timeoutMs: 120_000 });
      assert.equal(load.code, 0, load.stdout + load.stderr);
      assert.match(load.stdout, /Next: devenv fix --all --yes/);
      assert.match(load.stdout, new RegExp(`Image gcr\\.io/distroless/static:${tag}: tagged`));
      const goproxy = path.join(o.env.XDG_DATA_HOME!, 'devenv', 'goproxy');
      assert.deepEqual(JSON.parse(await fs.readFile(path.join(o.env.XDG_CONFIG_HOME!, 'devenv', 'config.json'), 'utf8')), { go: { proxy: `file://${goproxy}` } });
      const shellenv = await runCli(['shellenv', '--shell', 'bash', '--dir', offRoot], { env: offline });
      assert.ok(shellenv.stdout.includes(`export GOPROXY='file://${goproxy}'`), shellenv.stdout);

      const fixed = await runCliAs(noNet, ['fix', '--all', '--yes', '--json', '--dir', offRoot], { env: offline, timeoutMs: 300_000 });
      const fixes = JSON.parse(fixed.stdout).fixes as { id: string; action: string; message: string | null; ok: boolean }[];
      for (const f of fixes) assert.ok(f.ok, JSON.stringify(f));
      // --all takes the failing checks that have a fixer; every one of them is fixed from the bundle, offline
      // (go-vendor: `go mod vendor` with the bundle's file:// GOPROXY and no network).
      assert.deepEqual(
        Object.fromEntries(fixes.map((f) => [f.id, f.action])),
        { 'go-version': 'fixed', 'go-modules': 'fixed', 'go-vendor': 'fixed', 'envoy-binaries': 'fixed', helm: 'fixed', 'kubectl-cache': 'fixed' },
        fixed.stdout,
      );
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      // Every check of the build profile afterwards, with no network: ok, or not applicable to this 1.4-shaped tree.
      const doctor = await runCliAs(noNet, ['doctor', '--json', '--dir', offRoot], { env: offline, timeoutMs: 300_000 });
      assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
      const statuses = Object.fromEntries((JSON.parse(doctor.stdout).checks as { id: string; status: string }[]).map((c) => [c.id, c.status]));
      assert.deepEqual(
        statuses,
        {
          'go-version': 'ok',
          'gnu-tar': 'ok', // the host's GNU tar: a bundle carries no system packages
          ruby: 'ok', // the host's ruby
          fpm: 'ok', // the gem installed above, before the machine went offline
          'gopath-layout': 'ok', // GOPATH/src/istio.io/istio with GO111MODULE=on, as 1.4 needs
          'go-modules': 'ok',
          'go-vendor': 'ok',
          'docker-daemon': 'ok',
          'build-tools-image': 'skip', // the fixture has no container build (no IMG)
          'distroless-images': 'ok', // tagged by bundle load
          'envoy-binaries': 'ok',
          'wasm-filters': 'skip', // 1.4's bin/init.sh fetches no wasm filters (1.5–1.16 only)
          ztunnel: 'skip', // 1.20+ only
          helm: 'ok',
          'kubectl-cache': 'ok',
          'init-network': 'skip', // the fixture's bin/init.sh fetches nothing unconditionally (every download is skipped when present)
          'hub-tag': 'ok', // HUB/TAG from the environment
          'registry-login': 'ok', // the auths entry in DOCKER_CONFIG (never used to log in)
        },
        doctor.stdout,
      );
      // A second fix --all is a no-op: nothing left to fix.
      const again2 = await runCliAs(noNet, ['fix', '--all', '--yes', '--json', '--dir', offRoot], { env: offline, timeoutMs: 300_000 });
      assert.equal(again2.code, 0, again2.stdout + again2.stderr);
      assert.deepEqual(JSON.parse(again2.stdout).fixes, []);

      // The checkout's own init scripts, with no network at all.
      const sh = (script: string) =>
        execFileSync('unshare', ['-n', 'bash', '--norc', '--noprofile', path.join(offRoot, script)], { env: { PATH: offline.PATH, HOME: o.env.HOME, GOPATH: offlineGopath }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();
      assert.match(sh('bin/init.sh'), /envoy debug build/);
      assert.match(sh('bin/init_helm.sh'), /helm v2\.10\.0/);

      // go build of the checkout's module with the bundle's GOPROXY and an empty module cache.
      const goproxyUrl = /export GOPROXY='([^']+)'/.exec(shellenv.stdout)![1];
      const buildEnv = { PATH: offline.PATH, HOME: o.env.HOME, GOROOT: goRoot, GOPROXY: goproxyUrl, GOMODCACHE: path.join(o.dir, 'buildcache'), GOCACHE: path.join(o.dir, 'gobuildcache'), GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
      const out = path.join(o.dir, 'hello-bin');
      execFileSync('unshare', ['-n', path.join(toolchainBin, 'go'), 'build', '-o', out, '.'], { cwd: offRoot, env: buildEnv, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      assert.equal(execFileSync(out).toString().trim(), 'hello from the bundle');

      // A bundle for another commit is refused, naming what differs; --force loads it.
      execFileSync('git', ['-C', offRoot, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'next']);
      const refused = await runCliAs(noNet, ['bundle', 'load', bundle, '--dir', offRoot], { env: offline, timeoutMs: 120_000 });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /made for another checkout \(commit: bundle [0-9a-f]{12}, checkout [0-9a-f]{12}\)/);
      assert.match(refused.stderr, /--force/);
      // Meanwhile the user tagged another image under one of the bundle's names: load never moves that tag without asking.
      const mine = await importTinyImage(host!, `gcr.io/distroless/static:${tag}`, `my own ${tag}`);
      const forced = await runCliAs(noNet, ['bundle', 'load', bundle, '--dir', offRoot, '--force'], { env: offline, timeoutMs: 120_000 });
      assert.equal(forced.code, 1, forced.stdout + forced.stderr);
      assert.match(forced.stdout, /Loaded with --force although it differs: commit/);
      assert.match(forced.stdout, /Image docker\.io\/istio\/base:1\.4-dev\.4: already tagged/);
      assert.match(forced.stdout, new RegExp(`Image gcr\\.io/distroless/static:${tag}: kept your tag`));
      assert.match(forced.stdout, /! gcr\.io\/distroless\/static:\S+ still names your image .*docker tag sha256:/);
      const still = await docker(host!, ['image', 'inspect', '--format', '{{.Id}}', `gcr.io/distroless/static:${tag}`]);
      assert.equal(still.stdout.trim(), mine);
    } finally {
      execFileSync('chmod', ['-R', 'u+w', o.dir]);
      await o.cleanup();
    }
  });
});
