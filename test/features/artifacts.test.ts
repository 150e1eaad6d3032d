import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { placeStep } from '../../src/features/artifacts.js';
import type { Copy, Fetch } from '../../src/istio/init.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { tgz } from '../helpers/tgz.js';

const UP = 'https://artifacts.invalid/';

/** Every file under `dir` whose name ends in .part (temp files a run left behind). */
async function parts(dir: string): Promise<string[]> {
  const all = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return all.filter((f) => f.endsWith('.part'));
}

describe('placeStep: downloads written while they stream, to what every path ends as in the script', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  const debug = randomBytes(700_000);
  const release = randomBytes(300_000);
  before(async () => {
    t = await tempEnv();
    server = await startServer({});
    const debugTgz = await fs.readFile(await tgz(t.dir, 'debug.tar.gz', { 'usr/local/bin/envoy': debug }));
    server.routes.set('/debug.tar.gz', { body: debugTgz });
    server.routes.set('/debug.tar.gz.sha256', { body: `${createHash('sha256').update(debugTgz).digest('hex')}  debug.tar.gz\n` });
    server.routes.set('/release.tar.gz', { body: await fs.readFile(await tgz(t.dir, 'release.tar.gz', { 'usr/local/bin/envoy': release })) });
    server.routes.set('/broken.tar.gz', { body: 'not gzip at all' });
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  async function context(name: string) {
    const root = path.join(t.dir, name);
    await fs.mkdir(root, { recursive: true });
    const cfg = path.join(root, 'devenv.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { [UP]: `${server.url}/` } } }));
    const ctx = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, XDG_CACHE_HOME: path.join(root, 'cache') }, dir: root });
    return { root, ctx };
  }
  const fetchOf = (root: string, kind: 'debug' | 'release', copies: string[] = []): Fetch => ({
    kind,
    name: `envoy ${kind}`,
    url: `${UP}${kind}.tar.gz`,
    urlSource: 'test',
    member: 'usr/local/bin/envoy',
    path: path.join(root, kind, `envoy-${kind}-sha`),
    copies: copies.map((c) => path.join(root, c)),
    at: `init.sh:${kind === 'release' ? 1 : 2}`,
  });

  it("1.4's order: release/envoy is written by the release download, then by the script's copy of the debug build; the copy wins, as in init.sh", async () => {
    const { root, ctx } = await context('order');
    const fetches = [fetchOf(root, 'release', ['release/envoy']), fetchOf(root, 'debug', ['debug/envoy'])];
    const copies: Copy[] = [
      { from: fetches[1].path, to: path.join(root, 'release/envoy'), at: 'init.sh:3' },
      { from: path.join(root, 'release/envoy'), to: path.join(root, 'bin/envoy'), at: 'init.sh:4' },
    ];
    const step = await placeStep(ctx, fetches, copies, { label: 'envoy', headers: {}, mode: () => 0o755 });
    await step.run!(ctx);
    assert.deepEqual(await fs.readFile(fetches[0].path), release);
    for (const p of [fetches[1].path, 'debug/envoy', 'release/envoy', 'bin/envoy']) {
      const file = path.isAbsolute(p) ? p : path.join(root, p);
      assert.deepEqual(await fs.readFile(file), debug, p);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o755, p);
    }
    // separate files, never links: init.sh's `cp -f` refuses to copy a file onto itself
    const inodes = await Promise.all([fetches[1].path, 'debug/envoy', 'release/envoy', 'bin/envoy'].map(async (p) => (await fs.stat(path.isAbsolute(p) ? p : path.join(root, p))).ino));
    assert.equal(new Set(inodes).size, 4);
    assert.deepEqual(await parts(root), []);
  });

  it('a present download is kept: its missing copy comes from the file in place, and a later script copy from it replaces what a download wrote', async () => {
    const { root, ctx } = await context('kept');
    const fetches = [fetchOf(root, 'release', ['release/envoy']), fetchOf(root, 'debug')];
    const mine = Buffer.from('the release binary already in place');
    await fs.mkdir(path.dirname(fetches[0].path), { recursive: true });
    await fs.writeFile(fetches[0].path, mine, { mode: 0o755 });
    // the script then copies the (kept) release file over the debug one's path
    const copies: Copy[] = [{ from: fetches[0].path, to: fetches[1].path, at: 'init.sh:3' }];
    const step = await placeStep(ctx, fetches, copies, { label: 'envoy', headers: {}, mode: () => 0o755 });
    await step.run!(ctx);
    assert.deepEqual(await fs.readFile(path.join(root, 'release/envoy')), mine);
    assert.deepEqual(await fs.readFile(fetches[1].path), mine);
    assert.deepEqual(await parts(root), []);
  });

  it('one download fails (a corrupt archive): nothing is placed, no temp file is left, the error names the archive', async () => {
    const { root, ctx } = await context('fail');
    const good = fetchOf(root, 'debug', ['debug/envoy']);
    const bad: Fetch = { ...fetchOf(root, 'release', ['release/envoy']), url: `${UP}broken.tar.gz` };
    const step = await placeStep(ctx, [bad, good], [], { label: 'envoy', headers: {}, mode: () => 0o755 });
    await assert.rejects(step.run!(ctx), /broken\.tar\.gz.*(cannot extract|gzip)|cannot extract broken\.tar\.gz/);
    for (const p of [good.path, path.join(root, 'debug/envoy'), bad.path, path.join(root, 'release/envoy')]) await assert.rejects(fs.access(p), p);
    assert.deepEqual(await parts(root), []);
    // the good one (its sha256 published, so recorded at once) reached the cache: the next run takes it from there
    const again = await placeStep(ctx, [good], [], { label: 'envoy', headers: {}, mode: () => 0o755 });
    const before = server.log.length;
    await again.run!(ctx);
    assert.deepEqual(await fs.readFile(good.path), debug);
    assert.deepEqual(server.log.slice(before).filter((l) => l.includes('debug.tar.gz')), []);
  });
});
