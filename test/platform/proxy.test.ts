import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig, type Config } from '../../src/platform/config.js';
import { createDownloader } from '../../src/platform/download.js';
import { bypassesProxy, proxyEnv, proxyFor, proxySettings } from '../../src/platform/proxy.js';
import { rmrf, tempDir, tempEnv, testContext } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('proxy rules (curl semantics)', () => {
  const nb = (url: string, list: string) => bypassesProxy(new URL(url), list.split(','));
  it('suffixes, leading dots, exact IPs, CIDR blocks, ports and *', () => {
    assert.ok(nb('https://a.corp.example/x', 'corp.example'));
    assert.ok(nb('https://corp.example/x', '.corp.example'));
    assert.ok(!nb('https://notcorp.example/x', 'corp.example'));
    assert.ok(nb('http://10.1.2.3/x', '10.0.0.0/8'));
    assert.ok(!nb('http://11.1.2.3/x', '10.0.0.0/8'));
    assert.ok(nb('http://[fd00::1]:8080/x', 'fd00::/8'));
    assert.ok(nb('http://127.0.0.1:9/x', '127.0.0.1'));
    assert.ok(nb('http://h.example:8080/x', 'h.example:8080'));
    assert.ok(!nb('http://h.example:8081/x', 'h.example:8080'));
    assert.ok(nb('https://anything/x', '*'));
  });
  it('lower case wins over upper case; config network.proxy overrides the environment and is exported to subprocesses', () => {
    const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', NO_PROXY: '.corp' };
    assert.equal(proxyFor('https://x.example/', proxySettings(env)), 'http://lower:3128');
    assert.equal(proxyFor('https://a.corp/', proxySettings(env)), undefined);
    const cfg = { network: { proxy: 'http://cfg:8080', noProxy: ['internal'] } };
    assert.equal(proxyFor('https://x.example/', proxySettings(env, cfg)), 'http://cfg:8080');
    const sub = proxyEnv(env, cfg);
    assert.equal(sub.HTTPS_PROXY, 'http://cfg:8080');
    assert.equal(sub.https_proxy, 'http://cfg:8080');
    assert.equal(sub.NO_PROXY, 'internal');
    assert.equal(env.HTTPS_PROXY, 'http://upper:3128', 'the given env is not mutated');
  });
});

describe('the context', () => {
  it('--offline: downloads refuse before any socket, and go gets GOPROXY=off; network.proxy reaches subprocess env', async () => {
    const t = await tempEnv();
    try {
      const ctx = await testContext({ env: t.env, dir: t.dir, offline: true });
      assert.equal(ctx.config.go.proxy, 'off');
      await assert.rejects(ctx.fetchText('http://127.0.0.1:9/index'), /offline: not contacting http:\/\/127\.0\.0\.1:9\/index/);
      const cfg = path.join(t.dir, 'c.json');
      await fs.writeFile(cfg, JSON.stringify({ network: { proxy: 'http://u:pw-in-cfg@127.0.0.1:3128', noProxy: ['.corp'] } }));
      const c2 = await testContext({ env: t.env, dir: t.dir, configPath: cfg });
      assert.equal(c2.env.HTTPS_PROXY, 'http://u:pw-in-cfg@127.0.0.1:3128');
      assert.equal(c2.env.no_proxy, '.corp');
      assert.equal(t.env.HTTPS_PROXY, undefined);
    } finally {
      await t.cleanup();
    }
  });
});

describe('downloads through a real proxy on loopback', () => {
  let dir: string;
  let origin: TestServer;
  let proxy: TestProxy;
  const body = randomBytes(64 * 1024);
  const PW = 'px-s3cr3t-pw';

  before(async () => {
    dir = await tempDir('devenv-proxy-');
    origin = await startServer({ '/art.bin': body, '/art.bin.sha256': `${sha(body)}\n`, '/direct.bin': body });
    const port = new URL(origin.url).port;
    // mirror.devenv.test resolves only inside the proxy.
    proxy = await startProxy({ hosts: { 'mirror.devenv.test': `127.0.0.1:${port}` }, user: 'pxuser', password: PW });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
    await rmrf(dir);
  });

  const cfg = (over: Partial<Config> = {}): Config => ({ ...defaultConfig(), ...over });

  it('a mirror only the proxy can resolve: the download succeeds through it, and its log shows the request', async () => {
    const port = new URL(origin.url).port;
    const config = cfg({ prefer: 'mirror-only', mirrors: { urls: { 'https://upstream.invalid/': `http://mirror.devenv.test:${port}/` }, images: {} } });
    const env = { HTTP_PROXY: `http://pxuser:${PW}@127.0.0.1:${proxy.port}` };
    const d = createDownloader(config, path.join(dir, 'c1'), { env });
    const r = await d.download({ url: 'https://upstream.invalid/art.bin', dest: path.join(dir, 'out1'), publishedChecksum: true });
    assert.equal(r.verified, 'published');
    assert.deepEqual(await fs.readFile(path.join(dir, 'out1')), body);
    assert.ok(proxy.log.includes(`GET http://mirror.devenv.test:${port}/art.bin`), proxy.log.join('\n'));
    assert.ok(proxy.log.includes(`GET http://mirror.devenv.test:${port}/art.bin.sha256`), proxy.log.join('\n'));
    assert.equal(proxy.denied, 0);
  });

  it('wrong proxy credentials: the error names the proxy answer, never the password', async () => {
    const port = new URL(origin.url).port;
    const config = cfg({ prefer: 'mirror-only', mirrors: { urls: { 'https://upstream.invalid/': `http://mirror.devenv.test:${port}/` }, images: {} }, download: { ...defaultConfig().download, retries: 0 } });
    const d = createDownloader(config, undefined, { env: { http_proxy: `http://pxuser:wrong-${PW}@127.0.0.1:${proxy.port}` } });
    const err = await d.download({ url: 'https://upstream.invalid/art.bin', dest: path.join(dir, 'out2') }).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /HTTP 407/);
    assert.doesNotMatch(err.message, new RegExp(PW));
  });

  it('NO_PROXY exclusions (a host, a CIDR block) go direct: the proxy sees nothing', async () => {
    for (const np of ['127.0.0.1', '10.0.0.0/8,127.0.0.0/8']) {
      const before = proxy.log.length;
      const d = createDownloader(cfg({ mirrors: { urls: {}, images: {} } }), undefined, { env: { HTTP_PROXY: proxy.url, NO_PROXY: np } });
      const r = await d.download({ url: `${origin.url}/direct.bin`, dest: path.join(dir, `direct-${before}`) });
      assert.equal(r.sha256, sha(body));
      assert.equal(proxy.log.length, before, `NO_PROXY=${np} still used the proxy: ${proxy.log.slice(before).join()}`);
    }
  });
});

describe('credentials stay on their origin', () => {
  let dir: string;
  let a: http.Server;
  let b: TestServer;
  let aUrl: string;
  const seen: { server: string; path: string; auth?: string; custom?: string }[] = [];
  const body = Buffer.from('artifact-bytes');

  before(async () => {
    dir = await tempDir('devenv-auth-');
    b = await startServer({ '/x.bin': body });
    const bPort = new URL(b.url).port;
    a = http.createServer((req, res) => {
      seen.push({ server: 'a', path: req.url ?? '', auth: req.headers.authorization, custom: req.headers['x-auth-custom'] as string | undefined });
      // Same host, other port: a different origin.
      if (req.url === '/redirect') return void res.writeHead(302, { location: `http://127.0.0.1:${bPort}/x.bin` }).end();
      if (req.url === '/local-redirect') return void res.writeHead(302, { location: '/final.bin' }).end();
      if (req.url === '/final.bin') return void res.writeHead(200).end(body);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => a.listen(0, '127.0.0.1', () => r()));
    aUrl = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => a.close(() => r()));
    await b.close();
    await rmrf(dir);
  });

  it('AUTH_HEADER-style credentials (Authorization and a custom name) are not sent after a cross-origin redirect, but are after a same-origin one', async () => {
    const d = createDownloader(defaultConfig(), undefined, {});
    const auth = { authorization: 'Bearer upstream-t0ken', 'x-auth-custom': 'custom-t0ken' };
    await d.download({ url: `${aUrl}/redirect`, dest: path.join(dir, 'r1'), authHeaders: auth });
    const onB = b.requests.at(-1)!;
    assert.equal(onB.headers.authorization, undefined);
    assert.equal(onB.headers['x-auth-custom'], undefined);
    await d.download({ url: `${aUrl}/local-redirect`, dest: path.join(dir, 'r2'), authHeaders: auth });
    const final = seen.find((s) => s.path === '/final.bin')!;
    assert.equal(final.auth, 'Bearer upstream-t0ken');
    assert.equal(final.custom, 'custom-t0ken');
  });

  it('a mirror URL with user:pass (and a token alone) sends Basic credentials to that mirror only; errors redact them', async () => {
    const port = new URL(b.url).port;
    b.routes.set('/priv/y.bin', { body, requireHeader: ['authorization', `Basic ${Buffer.from('mirroruser:m1rror-pw').toString('base64')}`] });
    b.routes.set('/tok/y.bin', { body, requireHeader: ['authorization', `Basic ${Buffer.from('t0kenonly:').toString('base64')}`] });
    for (const [prefix, secret] of [[`http://mirroruser:m1rror-pw@127.0.0.1:${port}/priv/`, 'm1rror-pw'], [`http://t0kenonly@127.0.0.1:${port}/tok/`, 't0kenonly']]) {
      const config: Config = { ...defaultConfig(), prefer: 'mirror-only', mirrors: { urls: { 'https://upstream.invalid/': prefix }, images: {} } };
      const d = createDownloader(config, undefined, {});
      const r = await d.download({ url: 'https://upstream.invalid/y.bin', dest: path.join(dir, `m-${secret}`) });
      assert.equal(r.sha256, sha(body));
      assert.doesNotMatch(r.urlUsed, new RegExp(secret));
      const err = await d.download({ url: 'https://upstream.invalid/missing.bin', dest: path.join(dir, 'm-missing') }).catch((e: Error) => e);
      assert.ok(err instanceof Error);
      assert.match(err.message, /HTTP 404/);
      assert.match(err.message, /mirrors\.urls "https:\/\/upstream\.invalid\/"/, 'names the rule');
      assert.doesNotMatch(err.message, new RegExp(secret));
    }
  });
});

describe('bounded responses and the first-use record', () => {
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = await tempDir('devenv-caps-');
    server = await startServer({});
  });
  after(async () => {
    await server.close();
    await rmrf(dir);
  });

  it('a .sha256 over 1 MiB and an artifact over download.maxBytes are refused', async () => {
    server.routes.set('/big.bin', { body: Buffer.alloc(2048, 1) });
    server.routes.set('/big.bin.sha256', { body: Buffer.alloc(2 * 1024 * 1024, 0x61) });
    const config: Config = { ...defaultConfig(), download: { ...defaultConfig().download, maxBytes: 1024 } };
    const d = createDownloader(config, path.join(dir, 'cache'), {});
    const err = await d.download({ url: `${server.url}/big.bin`, dest: path.join(dir, 'big'), publishedChecksum: true }).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /larger than the 1 KiB limit \(download\.maxBytes\)/);
    await assert.rejects(fs.access(path.join(dir, 'big')));
    await assert.rejects(d.fetchText(`${server.url}/big.bin.sha256`, { maxBytes: 1024 * 1024 }), /larger than 1\.0 MiB/);
  });

  it('a first-use download is recorded only after confirm(): a bad first response is not remembered', async () => {
    const good = Buffer.from('good helm');
    server.routes.set('/helm.tgz', { body: Buffer.from('broken response') });
    const cache = path.join(dir, 'fu-cache');
    const d = createDownloader(defaultConfig(), cache, {});
    const bad = await d.download({ url: `${server.url}/helm.tgz`, dest: path.join(dir, 'h1'), publishedChecksum: true });
    assert.equal(bad.verified, 'first-use');
    // the caller found it unusable and never confirmed: nothing recorded
    assert.equal(await d.recorded(`${server.url}/helm.tgz`), undefined);
    server.routes.set('/helm.tgz', { body: good });
    const ok = await d.download({ url: `${server.url}/helm.tgz`, dest: path.join(dir, 'h2'), publishedChecksum: true });
    assert.equal(ok.sha256, sha(good));
    await ok.confirm();
    assert.equal((await d.recorded(`${server.url}/helm.tgz`))?.sha256, sha(good));
    // A later mismatch with the first-use record says how to recover.
    server.routes.set('/helm.tgz', { body: Buffer.from('changed upstream') });
    await fs.rm(path.join(cache, 'blobs'), { recursive: true });
    await assert.rejects(d.download({ url: `${server.url}/helm.tgz`, dest: path.join(dir, 'h3') }), /devenv cache clear http:\/\/127\.0\.0\.1:\d+\/helm\.tgz/);
  });

  it('80 concurrent writers to one cache lose no index entry', async () => {
    const cache = path.join(dir, 'conc-cache');
    const urls = Array.from({ length: 80 }, (_, i) => `/c${i}.bin`);
    for (const u of urls) server.routes.set(u, { body: Buffer.from(`content ${u}`) });
    // Separate downloader instances, as separate devenv processes would be.
    await Promise.all(urls.map(async (u) => {
      const d = createDownloader(defaultConfig(), cache, {});
      const r = await d.download({ url: `${server.url}${u}`, dest: path.join(dir, 'conc', u.slice(1)), sha256: sha(Buffer.from(`content ${u}`)) });
      return r;
    }));
    const d = createDownloader(defaultConfig(), cache, {});
    for (const u of urls) assert.ok(await d.recorded(`${server.url}${u}`), `lost ${u}`);
  });

  it('a corrupt index is reported and rebuilt from the blobs; a legacy corrupt downloads.json too', async () => {
    const cache = path.join(dir, 'corrupt-cache');
    const body = Buffer.from('indexed');
    server.routes.set('/ix.bin', { body });
    const lines: string[] = [];
    const d = createDownloader(defaultConfig(), cache, { log: (l) => lines.push(l) });
    await d.download({ url: `${server.url}/ix.bin`, dest: path.join(dir, 'ix'), sha256: sha(body) });
    const idx = path.join(cache, 'index');
    const [entry] = await fs.readdir(idx);
    await fs.writeFile(path.join(idx, entry), '{ truncated');
    await fs.writeFile(path.join(cache, 'downloads.json'), '{ also truncated');
    const d2 = createDownloader(defaultConfig(), cache, { log: (l) => lines.push(l) });
    assert.equal((await d2.recorded(`${server.url}/ix.bin`))?.sha256, sha(body));
    assert.ok(lines.some((l) => /index entry .* is corrupt; rebuilt it from the blob/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /downloads\.json was corrupt .* rebuilt/.test(l)), lines.join('\n'));
  });
});
