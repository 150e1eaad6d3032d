/**
 * Bundles as files: a real bundle made from a loopback upstream, then every
 * kind of damage — truncated (tar and gzip), an item whose sha256 or size
 * differs, an unknown manifest version, `..` and absolute paths, a link
 * pointing outside, an unlisted member, a manifest not first — each a clear
 * error with nothing loaded. Plus the tar format against GNU tar, the cache
 * seeding devenv fix relies on, and the user-config edit.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBundle } from '../../src/features/bundle/create.js';
import { inspectBundle } from '../../src/features/bundle/inspect.js';
import { loadBundle } from '../../src/features/bundle/load.js';
import { TarWriter, readTar } from '../../src/features/bundle/tar.js';
import { setUserGoProxy } from '../../src/features/bundle/userconfig.js';
import { runCli, tempEnv, testContext } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { requireReal } from '../helpers/daemons.js';
import { PROXY_SHA, bundleCheckout, tarball, upstreamRoutes } from '../helpers/bundlefixture.js';

async function entries(file: string): Promise<{ name: string; data: Buffer }[]> {
  const out: { name: string; data: Buffer }[] = [];
  await readTar(createReadStream(file), async (e) => {
    const chunks: Buffer[] = [];
    return { write: (b) => void chunks.push(Buffer.from(b)), end: () => void out.push({ name: e.name, data: Buffer.concat(chunks) }) };
  });
  return out;
}

async function writeTar(file: string, list: { name: string; data: Buffer }[]): Promise<void> {
  const out = createWriteStream(file);
  const w = new TarWriter(out);
  for (const e of list) await w.addBuffer(e.name, e.data);
  await w.finish();
  await new Promise<void>((r) => out.end(() => r()));
}

async function listDir(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

describe('bundle files: create, verify, load, and every kind of damage', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  let root: string;
  let good: string;
  let cfg: string;
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const ready = (() => {
    try {
      execFileSync('git', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  before(async () => {
    t = await tempEnv();
    const fakeGo = await tarball(t.dir, 'go/bin/go', '#!/bin/sh\necho go version go1.19.8 linux/amd64\n');
    server = await startServer(await upstreamRoutes(t.dir, { version: '1.19.8', arch, tarball: fakeGo }));
    cfg = path.join(t.dir, 'connected.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/`, 'https://go.dev/dl/': `${server.url}/dl/` } } }));
    if (!ready) return;
    root = await bundleCheckout(path.join(t.dir, 'gopath'), { goLine: '1.19', home: t.env.HOME! });
    const ctx = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, GOPATH: path.join(t.dir, 'gopath') }, dir: root });
    good = path.join(t.dir, 'good.tar');
    await createBundle(ctx, { out: good, platforms: [`linux/${arch}`], include: ['artifacts', 'go-toolchain'], devenvVersion: 'test' });
  });
  after(async () => {
    await server?.close();
    await t.cleanup();
  });

  /** A fresh "offline" machine and a loader for it. */
  async function machine(name: string) {
    const env = { ...t.env, HOME: path.join(t.dir, name, 'home'), XDG_CONFIG_HOME: path.join(t.dir, name, 'config'), XDG_DATA_HOME: path.join(t.dir, name, 'data'), XDG_CACHE_HOME: path.join(t.dir, name, 'cache'), GOPATH: path.join(t.dir, 'gopath') };
    const ctx = await testContext({ env, dir: root });
    return {
      ctx,
      env,
      /** nothing at all was put in place */
      async assertNothingLoaded() {
        assert.deepEqual(await listDir(path.join(env.XDG_CACHE_HOME, 'devenv')), [], 'the download cache was touched');
        assert.deepEqual(await listDir(path.join(env.XDG_CONFIG_HOME, 'devenv')), [], 'the user config was written');
        assert.deepEqual(await listDir(path.join(env.XDG_DATA_HOME, 'devenv')), [], 'something was left in the data dir');
      },
    };
  }

  it('a good bundle: the manifest first, every item verifies; load seeds the cache so downloads need no network', async (tc) => {
    if (!requireReal(tc, 'git', ready)) return;
    const list = await entries(good);
    assert.equal(list[0].name, 'manifest.json');
    const manifest = JSON.parse(list[0].data.toString());
    assert.equal(manifest.schema, 1);
    assert.deepEqual(manifest.items.map((i: { kind: string }) => i.kind).sort(), ['artifact', 'artifact', 'artifact', 'artifact', 'go-index', 'go-toolchain']);
    assert.deepEqual(list.slice(1).map((e) => e.name), manifest.items.map((i: { path: string }) => i.path));
    // GNU tar reads it too.
    assert.match(execFileSync('tar', ['-tf', good]).toString(), /^manifest\.json\nartifacts\//);
    const r = await inspectBundle(good);
    assert.equal(r.verified, true);

    const m = await machine('good');
    const loaded = await loadBundle(m.ctx, { file: good });
    assert.equal(loaded.seeded.length, 6);
    // The upstream goes away: every artifact and the Go index come from the cache.
    await server.close();
    try {
      const url = `https://storage.googleapis.com/istio-build/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`;
      const got = await m.ctx.download({ url, dest: path.join(t.dir, 'envoy.tgz'), publishedChecksum: true });
      assert.equal(got.fromCache, true);
      assert.deepEqual(await fs.readFile(got.path), list.find((e) => e.name.endsWith(`envoy-alpha-${PROXY_SHA}.tar.gz`))!.data);
      const { fetchGoIndex } = await import('../../src/features/goinstall.js');
      const index = await fetchGoIndex(m.ctx);
      assert.equal(index.releases[0].version, 'go1.19.8');
      assert.match(index.url, /download cache/);
    } finally {
      server = await startServer(await upstreamRoutes(t.dir));
    }
    assert.deepEqual((await listDir(path.join(m.env.XDG_DATA_HOME, 'devenv'))).filter((f) => f.startsWith('.bundle-staging')), [], 'staging left behind');
  });

  const cases: { name: string; make: (file: string) => Promise<void>; error: RegExp }[] = [
    {
      name: 'truncated in the middle of an item',
      make: async (f) => {
        const b = await fs.readFile(good);
        await fs.writeFile(f, b.subarray(0, Math.floor(b.length * 0.6)));
      },
      error: /truncated/,
    },
    {
      name: 'truncated right after the manifest',
      make: async (f) => {
        const list = await entries(good);
        const w = path.join(t.dir, 'one.tar');
        await writeTar(w, [list[0]]);
        const b = await fs.readFile(w);
        await fs.writeFile(f, b.subarray(0, b.length - 1024)); // without the end-of-archive marker
      },
      error: /truncated: it ends without the end-of-archive marker/,
    },
    {
      name: 'items missing (a complete tar that lacks them)',
      make: async (f) => writeTar(f, (await entries(good)).slice(0, 2)),
      error: /incomplete: 5 of 6 items listed in the manifest are missing/,
    },
    {
      name: 'truncated gzip',
      make: async (f) => {
        const gz = execFileSync('gzip', ['-c', good], { maxBuffer: 1 << 30 });
        await fs.writeFile(f, gz.subarray(0, Math.floor(gz.length / 2)));
      },
      error: /truncated/,
    },
    {
      name: 'an item whose sha256 differs',
      make: async (f) => {
        const list = await entries(good);
        const i = list.findIndex((e) => e.name.includes('helm'));
        const data = Buffer.from(list[i].data);
        data[data.length - 1] ^= 0xff;
        list[i] = { ...list[i], data };
        await writeTar(f, list);
      },
      error: /helm-v2\.10\.0-linux-amd64\.tar\.gz does not match the manifest: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/,
    },
    {
      name: 'an item whose size differs',
      make: async (f) => {
        const list = await entries(good);
        const i = list.findIndex((e) => e.name.includes('kubectl'));
        list[i] = { ...list[i], data: Buffer.concat([list[i].data, Buffer.from('x')]) };
        await writeTar(f, list);
      },
      error: /kubectl is \d+ bytes, but the manifest says \d+/,
    },
    {
      name: 'a manifest of an unknown version',
      make: async (f) => {
        const list = await entries(good);
        list[0] = { name: 'manifest.json', data: Buffer.from(JSON.stringify({ ...JSON.parse(list[0].data.toString()), schema: 2 })) };
        await writeTar(f, list);
      },
      error: /manifest has schema version 2, which this devenv does not know \(it reads version 1\)/,
    },
    {
      name: 'a member path with ..',
      make: async (f) => {
        const list = await entries(good);
        const m = JSON.parse(list[0].data.toString());
        await writeTar(f, [list[0], { name: `../${m.items[0].path}`, data: list[1].data }, ...list.slice(2)]);
      },
      error: /a member with a path with \.\. \(\.\.\/artifacts\//,
    },
    {
      name: 'an absolute member path',
      make: async (f) => {
        const list = await entries(good);
        await writeTar(f, [list[0], { name: '/etc/devenv-evil', data: Buffer.from('x') }, ...list.slice(1)]);
      },
      error: /a member with an absolute path \(\/etc\/devenv-evil\)/,
    },
    {
      name: 'a manifest listing a path with ..',
      make: async (f) => {
        const list = await entries(good);
        const m = JSON.parse(list[0].data.toString());
        m.items[0].path = `artifacts/../../${m.items[0].path}`;
        await writeTar(f, [{ name: 'manifest.json', data: Buffer.from(JSON.stringify(m)) }, ...list.slice(1)]);
      },
      error: /manifest is invalid: items\[0\] \(artifacts\/\.\.\/\.\.\/artifacts\/.*\): a path with \.\./,
    },
    {
      name: 'a link pointing outside (made by GNU tar)',
      make: async (f) => {
        const list = await entries(good);
        const m = JSON.parse(list[0].data.toString());
        const dir = await fs.mkdtemp(path.join(t.dir, 'link-'));
        await fs.writeFile(path.join(dir, 'manifest.json'), list[0].data);
        await fs.mkdir(path.join(dir, 'artifacts'));
        await fs.symlink('../../../etc/passwd', path.join(dir, m.items[0].path));
        execFileSync('tar', ['-C', dir, '-cf', f, 'manifest.json', m.items[0].path]);
      },
      error: /a link pointing outside the bundle: artifacts\/\S+ → \.\.\/\.\.\/\.\.\/etc\/passwd/,
    },
    {
      name: 'a member the manifest does not list',
      make: async (f) => {
        const list = await entries(good);
        await writeTar(f, [...list, { name: 'extra/payload.sh', data: Buffer.from('#!/bin/sh\n') }]);
      },
      error: /a member the manifest does not list: extra\/payload\.sh/,
    },
    {
      name: 'a manifest that is not the first member',
      make: async (f) => {
        const list = await entries(good);
        await writeTar(f, [list[1], list[0], ...list.slice(2)]);
      },
      error: /not a devenv bundle: its first member is "artifacts\//,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}, and loads nothing`, async (tc) => {
      if (!requireReal(tc, 'git', ready)) return;
      const file = path.join(t.dir, `bad-${c.name.replace(/\W+/g, '-')}.tar`);
      await c.make(file);
      const m = await machine(`m-${c.name.replace(/\W+/g, '-')}`);
      await assert.rejects(loadBundle(m.ctx, { file }), (err: Error) => {
        assert.match(err.message, c.error);
        assert.match(err.message, /nothing was loaded$/);
        return true;
      });
      await m.assertNothingLoaded();
      // inspect says what is wrong (or, with no readable manifest, fails the same way).
      const r = await inspectBundle(file).catch((err: Error) => ({ verified: false, error: err.message }));
      assert.equal(r.verified, false);
      assert.match(String(r.error), c.error);
    });
  }

  it('a bundle with images and no usable Docker: a clear error before anything is used', async (tc) => {
    if (!requireReal(tc, 'git', ready)) return;
    const list = await entries(good);
    const m = JSON.parse(list[0].data.toString());
    const archive = Buffer.from('not really an image archive');
    const { sha256 } = await import('../helpers/bundlefixture.js');
    m.items.push({ path: 'images/x.tar', kind: 'image', ref: 'gcr.io/distroless/static:nonroot', platform: 'linux/amd64', sha256: sha256(archive), size: archive.length, image: { id: `sha256:${'c'.repeat(64)}`, tags: ['gcr.io/distroless/static:nonroot'] } });
    const file = path.join(t.dir, 'with-image.tar');
    await writeTar(file, [{ name: 'manifest.json', data: Buffer.from(JSON.stringify(m)) }, ...list.slice(1), { name: 'images/x.tar', data: archive }]);
    assert.equal((await inspectBundle(file)).verified, true);
    const mach = await machine('nodocker');
    const ctx = { ...mach.ctx, env: { ...mach.ctx.env, DOCKER_HOST: `unix://${path.join(t.dir, 'no-such.sock')}` } };
    const bound = await testContext({ env: ctx.env, dir: root });
    await assert.rejects(loadBundle(bound, { file }), /the bundle has 1 image\(s\) and Docker is not usable \(not-running.*nothing was loaded/);
    await mach.assertNothingLoaded();
  });

  it('the CLI: a damaged bundle is an error without a stack trace, exit 1; inspect --json says it does not verify', async (tc) => {
    if (!requireReal(tc, 'git', ready)) return;
    const file = path.join(t.dir, 'cli-bad.tar');
    await cases.find((c) => c.name.startsWith('an item whose sha256'))!.make(file);
    const m = await machine('cli');
    const load = await runCli(['bundle', 'load', file, '--dir', root], { env: m.env });
    assert.equal(load.code, 1, load.stdout + load.stderr);
    assert.match(load.stderr, /^Error: .*does not match the manifest.*nothing was loaded\nTry this:/m);
    assert.doesNotMatch(load.stderr, /\s+at \S+ \(/);
    const insp = await runCli(['bundle', 'inspect', file, '--json'], { env: m.env });
    assert.equal(insp.code, 1);
    assert.equal(JSON.parse(insp.stdout).verified, false);
    const human = await runCli(['bundle', 'inspect', good], { env: m.env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /✓ verifies: all 6 items match/);
    assert.match(human.stdout, /go-toolchain \(1,/);
    const usage = await runCli(['bundle', 'create', '--dir', root, '--include', 'artifacts,nope'], { env: m.env });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--include artifacts,nope: unknown part "nope"/);
    // no such file, a directory: usage errors (exit 2) naming the path, for load and inspect alike
    for (const [cmd, arg, what] of [['load', path.join(t.dir, 'nope.tar'), 'no such file'], ['inspect', path.join(t.dir, 'nope.tar'), 'no such file'], ['load', t.dir, 'not a file'], ['inspect', t.dir, 'not a file']]) {
      const r = await runCli(['bundle', cmd, arg, ...(cmd === 'load' ? ['--dir', root] : [])], { env: m.env });
      assert.equal(r.code, 2, `${cmd} ${what}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n')[0], `Error: ${arg}: ${what}`);
    }
    // not a tar at all: inspecting loads nothing, so it does not say "nothing was loaded"; what the header held is shown escaped
    const text = path.join(t.dir, 'not-a-bundle.txt');
    const junk = Buffer.alloc(1024, 'x');
    junk[150] = 0x0a; // inside the header's checksum field
    await fs.writeFile(text, junk);
    const notTar = await runCli(['bundle', 'inspect', text], { env: m.env });
    assert.equal(notTar.code, 1);
    assert.match(notTar.stderr, /^Error: .*not-a-bundle\.txt: the bundle is not a valid tar file: bad \w+ field "[^"\n]*\\n[^"\n]*"\n/);
    assert.doesNotMatch(notTar.stderr, /nothing was loaded/);
  });
});

describe('bundle tar format', () => {
  it('long member names (pax) round-trip and GNU tar extracts them; GNU-format archives read back', async () => {
    const t = await tempEnv();
    try {
      const long = `gomod/${'example.com/'.repeat(12)}hello/@v/v1.0.0.zip`;
      const file = path.join(t.dir, 'long.tar');
      await writeTar(file, [
        { name: 'manifest.json', data: Buffer.from('{}') },
        { name: long, data: Buffer.from('zip bytes') },
      ]);
      assert.deepEqual((await entries(file)).map((e) => e.name), ['manifest.json', long]);
      const x = path.join(t.dir, 'x');
      await fs.mkdir(x);
      execFileSync('tar', ['-C', x, '-xf', file]);
      assert.equal(await fs.readFile(path.join(x, long), 'utf8'), 'zip bytes');
      const gnu = path.join(t.dir, 'gnu.tar');
      execFileSync('tar', ['-C', x, '--format=gnu', '-cf', gnu, 'manifest.json', long]);
      const back = await entries(gnu);
      assert.deepEqual(back.map((e) => e.name), ['manifest.json', long]);
      assert.equal(back[1].data.toString(), 'zip bytes');
    } finally {
      await t.cleanup();
    }
  });
});

describe('go.proxy in the user config', () => {
  it('keeps every other key, keeps a backup, writes atomically; YAML comments survive; an invalid file is left alone', async () => {
    const t = await tempEnv();
    try {
      const dir = path.join(t.dir, 'cfg');
      await fs.mkdir(dir);
      const json = path.join(dir, 'config.json');
      const before = JSON.stringify({ prefer: 'mirror', go: { version: '1.19', proxy: 'https://old.example/' }, mirrors: { urls: { 'https://a/': 'https://b/' } } }, null, 2);
      await fs.writeFile(json, before);
      const w = await setUserGoProxy(dir, 'file:///data/goproxy');
      assert.equal(w.previous, 'https://old.example/');
      assert.deepEqual(JSON.parse(await fs.readFile(json, 'utf8')), { prefer: 'mirror', go: { version: '1.19', proxy: 'file:///data/goproxy' }, mirrors: { urls: { 'https://a/': 'https://b/' } } });
      assert.equal(await fs.readFile(`${json}.devenv-backup`, 'utf8'), before);
      assert.equal((await setUserGoProxy(dir, 'file:///data/goproxy')).changed, false);

      const ydir = path.join(t.dir, 'ycfg');
      await fs.mkdir(ydir);
      const yaml = path.join(ydir, 'config.yaml');
      await fs.writeFile(yaml, '# my mirrors\nprefer: mirror # always\n');
      await setUserGoProxy(ydir, 'file:///d/goproxy');
      const text = await fs.readFile(yaml, 'utf8');
      assert.match(text, /^# my mirrors\nprefer: mirror # always\ngo:\n {2}proxy: file:\/\/\/d\/goproxy\n$/);
      await assert.rejects(fs.access(path.join(ydir, 'config.json')), 'a config.json beside config.yaml would shadow it');

      const bdir = path.join(t.dir, 'bcfg');
      await fs.mkdir(bdir);
      await fs.writeFile(path.join(bdir, 'config.json'), '{ "prefer": ');
      await assert.rejects(setUserGoProxy(bdir, 'file:///x'), /config\.json: invalid JSON .*go\.proxy was not set/);
      assert.equal(await fs.readFile(path.join(bdir, 'config.json'), 'utf8'), '{ "prefer": ');
    } finally {
      await t.cleanup();
    }
  });
});

describe('bundle create for several platforms', () => {
  it('one Go archive per platform from the index; an artifact both platforms share is bundled once, naming both', async (tc) => {
    const t = await tempEnv();
    try {
      let git = true;
      try {
        execFileSync('git', ['--version'], { stdio: 'ignore' });
      } catch {
        git = false;
      }
      if (!requireReal(tc, 'git', git)) return;
      const amd = await tarball(t.dir, 'go/bin/go', '#!/bin/sh\necho amd64\n');
      const arm = await tarball(t.dir, 'go/bin/go', '#!/bin/sh\necho arm64\n');
      const { sha256 } = await import('../helpers/bundlefixture.js');
      const file = (a: string, b: Buffer) => ({ filename: `go1.19.8.linux-${a}.tar.gz`, os: 'linux', arch: a, version: 'go1.19.8', sha256: sha256(b), size: b.length, kind: 'archive' });
      const routes = await upstreamRoutes(t.dir);
      const server = await startServer({
        ...routes,
        '/dl/': { body: JSON.stringify([{ version: 'go1.19.8', stable: true, files: [file('amd64', amd), file('arm64', arm)] }]), contentType: 'application/json' },
        '/dl/go1.19.8.linux-amd64.tar.gz': amd,
        '/dl/go1.19.8.linux-arm64.tar.gz': arm,
      });
      try {
        const cfg = path.join(t.dir, 'c.json');
        await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/`, 'https://go.dev/dl/': `${server.url}/dl/` } } }));
        const gopath = path.join(t.dir, 'gopath');
        const root = await bundleCheckout(gopath, { goLine: '1.19', home: t.env.HOME! });
        const ctx = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, GOPATH: gopath }, dir: root });
        const out = path.join(t.dir, 'multi.tar');
        const r = await createBundle(ctx, { out, platforms: ['linux/amd64', 'linux/arm64'], include: ['artifacts', 'go-toolchain'], devenvVersion: 'test' });
        const go = r.manifest.items.filter((i) => i.kind === 'go-toolchain').map((i) => [i.platform, i.ref]);
        assert.deepEqual(go, [
          ['linux/amd64', 'https://go.dev/dl/go1.19.8.linux-amd64.tar.gz'],
          ['linux/arm64', 'https://go.dev/dl/go1.19.8.linux-arm64.tar.gz'],
        ]);
        const helm = r.manifest.items.filter((i) => i.ref.includes('helm'));
        assert.equal(helm.length, 1);
        assert.equal(helm[0].platform, 'linux/amd64,linux/arm64');
        assert.equal((await inspectBundle(out)).verified, true);
      } finally {
        await server.close();
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('what a bundle carries, read from the checkout (sources.ts)', () => {
  it('images: the FROM images of what make docker builds (build args substituted) and IMG; nothing from samples/ or base images', async () => {
    const t = await tempEnv();
    try {
      const { istioFixture } = await import('../helpers/env.js');
      const { writeContainerFiles } = await import('../helpers/fixture-container.js');
      const { imageSources, artifactSources } = await import('../../src/features/bundle/sources.js');
      const root = await istioFixture(path.join(t.dir, 'istio'), { version: '1.24-dev' });
      const fx = await writeContainerFiles(root, '1.20+');
      const ctx = await testContext({ env: t.env, dir: root });
      const imgs = await imageSources(ctx);
      assert.deepEqual(imgs.filter((i) => !i.skip).map((i) => i.ref).sort(), [...fx.baseImages, fx.img].sort());
      assert.ok(imgs.some((i) => i.ref === fx.img && i.source === fx.imgSource), JSON.stringify(imgs));
      assert.ok(!imgs.some((i) => /base-sample|ubuntu:focal/.test(i.ref)), 'a sample or a base image make docker never builds was bundled');
      // The environment wins, as in the script.
      const ctx2 = await testContext({ env: { ...t.env, TOOLS_REGISTRY_PROVIDER: 'registry.istio.io', PROJECT_ID: 'testing' }, dir: root });
      assert.ok((await imageSources(ctx2)).some((i) => i.ref.startsWith('registry.istio.io/testing/build-tools:release-1.24-')));
      // No istio.deps, no init_helm.sh, no Dockerfile.kubectl: nothing make init downloads is known.
      assert.deepEqual(await artifactSources(ctx, 'linux/amd64'), []);
    } finally {
      await t.cleanup();
    }
  });

  it('images: a digest-pinned FROM is named as not bundleable', async () => {
    const t = await tempEnv();
    try {
      const { istioFixture } = await import('../helpers/env.js');
      const { writeContainerFiles } = await import('../helpers/fixture-container.js');
      const { imageSources } = await import('../../src/features/bundle/sources.js');
      const root = await istioFixture(path.join(t.dir, 'istio16'), { version: '1.6-dev' });
      await writeContainerFiles(root, '1.6-1.7', { pins: { static: 'sha256:' + 'ab'.repeat(32) } });
      const imgs = await imageSources(await testContext({ env: t.env, dir: root }));
      const pinned = imgs.find((i) => i.ref.includes('@sha256:' + 'ab'.repeat(32)));
      assert.ok(pinned, JSON.stringify(imgs));
      assert.match(pinned!.skip ?? '', /pinned by digest/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('which checkout a bundle is for', () => {
  it('names every difference of line and commit; an unknown side decides nothing', async () => {
    const { compareCheckouts } = await import('../../src/features/bundle/load.js');
    const a = { line: '1.24', version: '1.24.0', commit: 'a'.repeat(40), dirty: false };
    assert.deepEqual(compareCheckouts(a, { ...a, dirty: true }), []);
    assert.deepEqual(compareCheckouts(a, { ...a, line: '1.30', commit: 'b'.repeat(40) }), [`release line: bundle 1.24, checkout 1.30`, `commit: bundle ${'a'.repeat(12)}, checkout ${'b'.repeat(12)}`]);
    assert.deepEqual(compareCheckouts(a, { ...a, commit: null }), []);
    assert.deepEqual(compareCheckouts(a, null), []);
  });
});
