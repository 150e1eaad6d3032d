import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig, type Config } from '../../src/platform/config.js';
import { createDownloader, progressLogger, type Progress } from '../../src/platform/download.js';
import { TarGzMemberSink } from '../../src/platform/sinks.js';
import { rmrf, tempDir } from '../helpers/env.js';
import { corruptGzip, tgz } from '../helpers/tgz.js';
import { startServer, type TestServer } from '../helpers/http.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Upstream hosts under .invalid never resolve, so a fallback can never leave the machine.
const UP = 'https://upstream.invalid/';

describe('downloader', () => {
  let dir: string;
  let server: TestServer;
  const body = randomBytes(256 * 1024);
  let n = 0;

  before(async () => {
    dir = await tempDir('devenv-dl-');
    server = await startServer({});
  });
  after(async () => {
    await server.close();
    await rmrf(dir);
  });

  function setup(routes: Record<string, Parameters<TestServer['routes']['set']>[1] | Buffer | string>, cfg: Partial<Config> = {}) {
    const id = `t${++n}`;
    for (const [k, v] of Object.entries(routes)) server.routes.set(`/${id}${k}`, typeof v === 'string' || Buffer.isBuffer(v) ? { body: v } : v);
    const config: Config = { ...defaultConfig(), prefer: 'mirror', ...cfg, mirrors: { urls: { [UP]: `${server.url}/${id}/` }, images: {} } };
    config.download = { ...config.download, retries: 2, ...(cfg.download ?? {}) };
    const cache = path.join(dir, id, 'cache');
    return { d: createDownloader(config, cache), id, dest: path.join(dir, id, 'out', 'artifact'), cache, reqs: () => server.log.filter((l) => l.includes(`/${id}/`)) };
  }

  async function partials(p: string): Promise<string[]> {
    return (await fs.readdir(path.dirname(p)).catch(() => [])).filter((f) => f.endsWith('.part'));
  }

  it('resumes a transfer cut mid-file with Range, and ends verified', async () => {
    const { d, dest, reqs } = setup({ '/a.bin': { body, cutAfter: 100_000 } });
    const r = await d.download({ url: `${UP}a.bin`, dest, sha256: sha(body) });
    assert.equal(r.sha256, sha(body));
    assert.equal(r.verified, 'expected');
    assert.deepEqual(await fs.readFile(dest), body);
    const lines = reqs().map((l) => l.replace(/^GET \/t\d+/, ''));
    assert.equal(lines.length, 2);
    assert.equal(lines[0], '/a.bin');
    const from = Number(/range=bytes=(\d+)-$/.exec(lines[1])?.[1]);
    assert.ok(from > 0 && from <= 100_000, `resumed from ${lines[1]}`);
    assert.deepEqual(await partials(dest), []);
  });

  it('restarts when the server ignores Range, and ends verified', async () => {
    const { d, dest, reqs } = setup({ '/b.bin': { body, cutAfter: 50_000, ranges: false } });
    const r = await d.download({ url: `${UP}b.bin`, dest, sha256: sha(body) });
    assert.equal(r.bytes, body.length);
    assert.deepEqual(await fs.readFile(dest), body);
    assert.equal(reqs().length, 2);
  });

  it('a chunked body (which the bulk reader leaves) is asked again through node-fetch and arrives whole; so does a body that ends with its connection', async () => {
    const asked: string[] = [];
    const odd = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === '/chunked.bin') {
        res.writeHead(200); // no length: node sends it chunked
        res.write(body.subarray(0, 1000));
        res.end(body.subarray(1000));
        return;
      }
      res.socket?.write('HTTP/1.0 200 OK\r\n\r\n');
      res.socket?.end(body.subarray(7)); // another artifact: the cache would serve the same bytes
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', () => r()));
    try {
      const base = `http://127.0.0.1:${(odd.address() as AddressInfo).port}/`;
      const config: Config = { ...defaultConfig(), prefer: 'mirror', mirrors: { urls: { [UP]: base }, images: {} } };
      const d = createDownloader(config, path.join(dir, 'odd-cache'));
      for (const [name, want] of [['chunked.bin', body], ['eof.bin', body.subarray(7)]] as const) {
        const dest = path.join(dir, 'odd', name);
        const r = await d.download({ url: `${UP}${name}`, dest, sha256: sha(want) });
        assert.equal(r.bytes, want.length);
        assert.deepEqual(await fs.readFile(dest), want);
      }
      assert.deepEqual(asked, ['/chunked.bin', '/chunked.bin', '/eof.bin']);
    } finally {
      odd.closeAllConnections();
      await new Promise<void>((r) => odd.close(() => r()));
    }
  });

  it('a body that stops coming is given up after download.timeoutMs and resumed with Range; stalled every time, it fails saying so', async () => {
    const { d, dest, reqs } = setup({ '/stall.bin': { body, stallAfter: 70_000 } }, { download: { ...defaultConfig().download, timeoutMs: 1000, retries: 2 } });
    const r = await d.download({ url: `${UP}stall.bin`, dest, sha256: sha(body) });
    assert.deepEqual(await fs.readFile(dest), body);
    assert.equal(r.bytes, body.length);
    const lines = reqs().map((l) => l.replace(/^GET \/t\d+/, ''));
    assert.equal(lines[0], '/stall.bin');
    assert.match(lines[1], /^\/stall\.bin range=bytes=\d+-$/);
    const again = setup({ '/stall2.bin': { body, stallAfter: 1000, stallTimes: 9 } }, { download: { ...defaultConfig().download, timeoutMs: 1000, retries: 1 } });
    await assert.rejects(again.d.download({ url: `${UP}stall2.bin`, dest: again.dest, sha256: sha(body) }), /transfer stalled \(no data for 1s\) \(after 2 attempts\)/);
    assert.deepEqual(await partials(again.dest), []);
  });

  it('never leaves a partial file at the destination, even when every attempt is cut', async () => {
    const { d, dest } = setup({ '/c.bin': { body, cutAfter: 1000, cutTimes: 99, ranges: false } });
    await assert.rejects(d.download({ url: `${UP}c.bin`, dest }), /could not download https:\/\/upstream\.invalid\/c\.bin: transfer interrupted after 1000 of 262144 bytes \(after 3 attempts\) at http:\/\/127\.0\.0\.1:\d+\/t\d+\/c\.bin/);
    await assert.rejects(fs.access(dest));
    assert.deepEqual(await partials(dest), []);
  });

  it('refuses a wrong checksum and writes nothing', async () => {
    const { d, dest } = setup({ '/d.bin': body });
    await assert.rejects(d.download({ url: `${UP}d.bin`, dest, sha256: 'e'.repeat(64) }), /sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/t\d+\/d\.bin: expected e{64} \(expected\), got [0-9a-f]{64}; the file was not kept/);
    await assert.rejects(fs.access(dest));
    assert.deepEqual(await partials(dest), []);
  });

  it('404 and 500 name the URL actually used', async () => {
    const { d, dest } = setup({ '/e.bin': { body: 'boom', status: 500 } });
    await assert.rejects(d.download({ url: `${UP}missing.bin`, dest }), /: HTTP 404 Not Found at http:\/\/127\.0\.0\.1:\d+\/t\d+\/missing\.bin/);
    await assert.rejects(d.download({ url: `${UP}e.bin`, dest }), /: HTTP 500 Internal Server Error \(after 3 attempts\) at http:\/\/127\.0\.0\.1:\d+\/t\d+\/e\.bin/);
  });

  it('a refused connection: the URL named once, then why (and the proxy it went through); credentials never shown', async () => {
    // a port nothing listens on: bound, then closed
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const config: Config = { ...defaultConfig(), download: { ...defaultConfig().download, retries: 1 } };
    const direct = createDownloader(config, undefined);
    const url = `http://127.0.0.1:${port}/x.bin`;
    await assert.rejects(direct.download({ url, dest: path.join(dir, 'refused', 'x') }), (e: Error) => {
      assert.equal(e.message, `could not download ${url}: connect ECONNREFUSED 127.0.0.1:${port} (after 2 attempts)`);
      return true;
    });
    const proxied = createDownloader(config, undefined, { env: { HTTPS_PROXY: `http://user:s3cret@127.0.0.1:${port}` } });
    await assert.rejects(proxied.download({ url: `${UP}y.bin`, dest: path.join(dir, 'refused', 'y') }), (e: Error) => {
      assert.equal(e.message, `could not download ${UP}y.bin: connect ECONNREFUSED 127.0.0.1:${port} (after 2 attempts) via proxy http://user:***@127.0.0.1:${port}`);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });
  });

  it('a server that never answers times out with a clear message', async () => {
    const { d, dest } = setup({ '/f.bin': { body, hang: true } }, { download: { timeoutMs: 300, upstreamTimeoutMs: 300, retries: 0, maxBytes: 2 ** 30 } });
    const t0 = Date.now();
    await assert.rejects(d.download({ url: `${UP}f.bin`, dest }), /: no response within 0s .*at http:\/\/127\.0\.0\.1:\d+\/t\d+\/f\.bin/);
    assert.ok(Date.now() - t0 < 5000);
  });

  it('asks for the published .sha256 while the artifact downloads, not before it', async () => {
    // This .sha256 answers only once the artifact has been asked for: fetched one after the other,
    // the checksum request would wait out its timeout and the download would end up "first-use".
    let artifactAsked: () => void = () => {};
    const asked = new Promise<void>((r) => (artifactAsked = r));
    const srv = http.createServer((req, res) => {
      if (req.url === '/c.bin') {
        artifactAsked();
        res.end(body);
      } else if (req.url === '/c.bin.sha256') void asked.then(() => res.end(`${sha(body)}  c.bin\n`));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const config: Config = { ...defaultConfig(), prefer: 'mirror', mirrors: { urls: { [UP]: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/` }, images: {} } };
      config.download = { ...config.download, retries: 0, timeoutMs: 3000 };
      const d = createDownloader(config, path.join(dir, 'concurrent-sum', 'cache'));
      const r = await d.download({ url: `${UP}c.bin`, dest: path.join(dir, 'concurrent-sum', 'c.bin'), publishedChecksum: true });
      assert.equal(r.verified, 'published');
      assert.equal(r.sha256, sha(body));
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });

  it('verifies against a published .sha256 and refuses a mismatch with it', async () => {
    const good = setup({ '/g.bin': body, '/g.bin.sha256': `${sha(body)}  g.bin\n` });
    const r = await good.d.download({ url: `${UP}g.bin`, dest: good.dest, publishedChecksum: true });
    assert.equal(r.verified, 'published');
    const bad = setup({ '/h.bin': body, '/h.bin.sha256': `${'0'.repeat(64)}\n` });
    await assert.rejects(bad.d.download({ url: `${UP}h.bin`, dest: bad.dest, publishedChecksum: true }), /expected 0{64} \(published\)/);
  });

  it('with no checksum anywhere: records the first download, serves later uses from the cache with no request', async () => {
    const { d, dest, reqs } = setup({ '/i.bin': body });
    const first = await d.download({ url: `${UP}i.bin`, dest, publishedChecksum: true });
    assert.equal(first.verified, 'first-use');
    await first.confirm();
    const before = reqs().length;
    const second = await d.download({ url: `${UP}i.bin`, dest: dest + '-2', publishedChecksum: true });
    assert.equal(second.fromCache, true);
    assert.equal(second.urlUsed, 'cache');
    assert.equal(second.verified, 'recorded');
    assert.equal(reqs().length, before, 'the second use made a request');
    assert.deepEqual(await fs.readFile(dest + '-2'), body);
    const rec = await d.recorded(`${UP}i.bin`);
    assert.equal(rec?.sha256, sha(body));
  });

  it('a pinned checksum from config is used', async () => {
    const { d, dest } = setup({ '/j.bin': body }, { checksums: { [`${UP}j.bin`]: sha(body) } });
    const r = await d.download({ url: `${UP}j.bin`, dest });
    assert.equal(r.verified, 'pinned');
  });

  it('credentials (authHeaders) go to the upstream origin only, never to a mirror; plain headers go everywhere', async () => {
    const { d, dest, id } = setup({ '/k.bin': body, '/k.bin.sha256': sha(body) });
    await d.download({ url: `${UP}k.bin`, dest, publishedChecksum: true, headers: { 'x-plain': '1' }, authHeaders: { authorization: 'Bearer nope' } });
    const mine = server.requests.filter((q) => q.path.startsWith(`/${id}/`));
    assert.equal(mine.length, 2);
    for (const q of mine) {
      assert.equal(q.headers['x-plain'], '1');
      assert.equal(q.headers.authorization, undefined, `credentials sent to the mirror: ${q.path}`);
    }
    // Without a mirror rule, the server is the upstream: then they are sent.
    const direct = createDownloader({ ...defaultConfig(), mirrors: { urls: {}, images: {} } }, undefined);
    server.routes.set(`/${id}/direct.bin`, { body, requireHeader: ['authorization', 'Bearer yes'] });
    const r = await direct.download({ url: `${server.url}/${id}/direct.bin`, dest: dest + '-direct', authHeaders: { authorization: 'Bearer yes' } });
    assert.equal(r.sha256, sha(body));
  });

  it('progress is logged at most once per interval, plus the final line', () => {
    const lines: string[] = [];
    const onProgress = progressLogger((l) => lines.push(l), 'envoy debug', 60_000);
    const total = 10 * 1024 * 1024;
    for (let b = 1024 * 1024; b <= total; b += 1024 * 1024) onProgress({ url: 'u', bytes: b, total, rate: 2 * 1024 * 1024, etaSeconds: (total - b) / (2 * 1024 * 1024) } satisfies Progress);
    assert.deepEqual(lines, ['envoy debug: 1.0 MiB of 10.0 MiB, 2.0 MiB/s, 5s left', 'envoy debug: 10.0 MiB of 10.0 MiB, 2.0 MiB/s, 0s left']);
  });

  it('a transfer tells onProgress at most every 100 ms, not once per piece, and always with the last byte', async () => {
    const big = randomBytes(8 * 1024 * 1024); // ≥ 128 pieces of 64 KiB from the socket, on loopback in well under a second
    const { d, dest } = setup({ '/p.bin': big });
    const seen: Progress[] = [];
    const started = Date.now();
    await d.download({ url: `${UP}p.bin`, dest, sha256: sha(big), onProgress: (p) => seen.push(p) });
    const elapsed = Date.now() - started;
    assert.ok(seen.length >= 2, `told ${seen.length} times`);
    assert.ok(seen.length <= Math.ceil(elapsed / 100) + 2, `told ${seen.length} times in ${elapsed} ms`);
    assert.equal(seen.at(-1)?.bytes, big.length);
    assert.equal(seen.at(-1)?.total, big.length);
  });

  describe('with a sink: the bytes handed over while they stream', () => {
    const big = randomBytes(2 * 1024 * 1024 + 4321); // more than one 1 MiB batch, not a multiple of it
    let archive: Buffer;
    before(async () => {
      archive = await fs.readFile(await tgz(dir, 'sink-src.tar.gz', { 'usr/local/bin/envoy': big, 'README': 'r' }));
    });
    const sinkFor = (id: string, name = 'a.tar.gz') => {
      const outs = [path.join(dir, id, 'out', 'one'), path.join(dir, id, 'out', 'two')];
      return { outs, sink: new TarGzMemberSink('usr/local/bin/envoy', outs, name) };
    };

    it('no dest: the member reaches every output, the tarball only the cache; a second download is fed from the cache with no request', async () => {
      const { d, id, reqs, cache } = setup({ '/a.tar.gz': archive });
      const first = sinkFor(id);
      const r = await d.download({ url: `${UP}a.tar.gz`, sink: first.sink, sha256: sha(archive) });
      await first.sink.end();
      for (const o of first.outs) assert.deepEqual(await fs.readFile(o), big);
      assert.equal(r.path, path.join(cache, 'blobs', 'sha256', sha(archive)));
      assert.deepEqual(await fs.readFile(r.path), archive);
      assert.equal((await fs.stat(r.path)).mode & 0o777, 0o444);
      assert.deepEqual((await fs.readdir(path.join(cache, 'blobs', 'sha256'))).filter((f) => f.endsWith('.part')), []);
      const again = sinkFor(`${id}-again`);
      const r2 = await d.download({ url: `${UP}a.tar.gz`, sink: again.sink, sha256: sha(archive) });
      await again.sink.end();
      assert.equal(r2.fromCache, true);
      for (const o of again.outs) assert.deepEqual(await fs.readFile(o), big);
      assert.equal(reqs().length, 1);
    });

    it('a damaged cache blob that the sink refuses is fetched again, and the outputs are right', async () => {
      const { d, id, reqs } = setup({ '/g.tar.gz': archive });
      const first = sinkFor(id);
      const r = await d.download({ url: `${UP}g.tar.gz`, sink: first.sink, sha256: sha(archive) });
      await first.sink.end();
      await fs.chmod(r.path, 0o644);
      await fs.writeFile(r.path, corruptGzip(archive));
      const again = sinkFor(`${id}-again`);
      const r2 = await d.download({ url: `${UP}g.tar.gz`, sink: again.sink, sha256: sha(archive) });
      await again.sink.end();
      assert.equal(r2.fromCache, false);
      for (const o of again.outs) assert.deepEqual(await fs.readFile(o), big);
      assert.deepEqual(await fs.readFile(r2.path), archive);
      assert.equal(reqs().length, 2);
    });

    it('a cut transfer resumes with Range across batch boundaries; dest, cache and sink all get every byte once', async () => {
      const { d, id, dest, reqs } = setup({ '/b.tar.gz': { body: archive, cutAfter: 1024 * 1024 + 777 } });
      const { outs, sink } = sinkFor(id);
      const r = await d.download({ url: `${UP}b.tar.gz`, dest, sink, sha256: sha(archive) });
      await sink.end();
      assert.deepEqual(await fs.readFile(dest), archive);
      assert.deepEqual(await fs.readFile(r.path), archive);
      for (const o of outs) assert.deepEqual(await fs.readFile(o), big);
      assert.match(reqs()[1] ?? '', /range=bytes=\d+-$/);
    });

    it('a server that ignores Range: the transfer starts over and the sink is reset, not fed twice', async () => {
      const { d, id, reqs } = setup({ '/c.tar.gz': { body: archive, cutAfter: 1024 * 1024 + 5, ranges: false } });
      const { outs, sink } = sinkFor(id);
      await d.download({ url: `${UP}c.tar.gz`, sink, sha256: sha(archive) });
      await sink.end();
      for (const o of outs) assert.deepEqual(await fs.readFile(o), big);
      assert.equal(reqs().length, 2);
    });

    it('a corrupt archive from the mirror is that source failing (named), and nothing is kept', async () => {
      const bad = corruptGzip(archive);
      const { d, id, cache } = setup({ '/e.tar.gz': bad });
      const { outs, sink } = sinkFor(id, 'e.tar.gz');
      await assert.rejects(d.download({ url: `${UP}e.tar.gz`, sink }), /cannot extract e\.tar\.gz: its gzip data is corrupt at http:\/\/127\.0\.0\.1:\d+\/t\d+\/e\.tar\.gz/);
      await sink.abort();
      for (const o of outs) await assert.rejects(fs.access(o));
      assert.deepEqual(await fs.readdir(path.join(cache, 'blobs', 'sha256')).catch(() => []), []);
    });

    it('a sink that cannot write its files (a file where a directory should be) is a local error: final, named, and no other source is tried', async () => {
      const { d, id, reqs } = setup({ '/h.tar.gz': archive });
      const blocker = path.join(dir, id, 'blocker');
      await fs.mkdir(path.dirname(blocker), { recursive: true });
      await fs.writeFile(blocker, 'a file, not a directory');
      const sink = new TarGzMemberSink('usr/local/bin/envoy', [path.join(blocker, 'envoy')], 'h.tar.gz');
      const err = await d.download({ url: `${UP}h.tar.gz`, sink }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      await sink.abort();
      assert.ok(err, 'the download should fail');
      assert.match(err.message, /cannot write .*blocker.*: (ENOTDIR|EEXIST)/);
      assert.doesNotMatch(err.message, /upstream\.invalid/);
      assert.equal(reqs().filter((l) => l.endsWith('/h.tar.gz')).length, 1);
    });

    it('a sha256 mismatch throws before the caller places anything; the cache keeps nothing', async () => {
      const { d, id, cache } = setup({ '/f.tar.gz': archive });
      const { outs, sink } = sinkFor(id);
      await assert.rejects(d.download({ url: `${UP}f.tar.gz`, sink, sha256: 'e'.repeat(64) }), /sha256 mismatch/);
      await sink.abort();
      for (const o of outs) await assert.rejects(fs.access(o));
      assert.deepEqual(await fs.readdir(path.join(cache, 'blobs', 'sha256')).catch(() => []), []);
    });
  });
});
