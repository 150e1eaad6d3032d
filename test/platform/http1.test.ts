import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HEAD_MAX, rawGet, Unsupported, type RawResponse } from '../../src/platform/http1.js';
import { tempEnv } from '../helpers/env.js';
import { makePki } from '../helpers/tls.js';

/** A server that answers every connection with `reply(request text)`: raw bytes, as a real server may send them. */
async function rawServer(reply: (socket: net.Socket, request: string) => void): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        requests.push(text);
        reply(s, text);
        text = '';
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Reads a body, each piece copied; `slow` makes every third piece wait and copies it only then (the socket
 * must pause, nothing is lost, and the piece stays unchanged until its promise settles).
 */
async function readAll(res: RawResponse, slow = false): Promise<{ body: Buffer; pieces: number }> {
  const parts: Buffer[] = [];
  let pieces = 0;
  await res.read((chunk) => {
    pieces++;
    if (slow && pieces % 3 === 0) {
      const at = parts.push(Buffer.alloc(0)) - 1;
      return new Promise<void>((r) => setTimeout(() => r(void (parts[at] = Buffer.from(chunk))), 2));
    }
    parts.push(Buffer.from(chunk));
    return undefined;
  });
  return { body: Buffer.concat(parts), pieces };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('http1: the bulk reader', () => {
  const body = randomBytes(3 * 1024 * 1024 + 17);
  let srv: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    srv = await rawServer((s, req) => {
      const p = /^GET (\S+) /.exec(req)?.[1] ?? '';
      const send = (head: string, rest?: Buffer) => (rest ? s.end(Buffer.concat([Buffer.from(head, 'latin1'), rest])) : s.end(head));
      if (p === '/len') return void send(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body);
      if (p === '/eof') return void send('HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n', body);
      if (p === '/cut') {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
        return void s.end(body.subarray(0, 1000));
      }
      if (p === '/hints') return void send(`HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n`, Buffer.from('hello'));
      if (p === '/chunked') return void send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
      if (p === '/big-head') return void send(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(HEAD_MAX)}\r\nContent-Length: 1\r\n\r\nx`);
      if (p === '/bad-status') return void send('HTTP/1.1 2OO OK\r\n\r\n');
      if (p === '/bad-length') return void send('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!');
      if (p === '/redirect') return void send('HTTP/1.1 302 Found\r\nLocation: /len\r\nContent-Length: 0\r\n\r\n');
      if (p === '/stall') return void s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, () => s.write(body.subarray(0, 100)));
      if (p === '/drip') {
        // the head a byte at a time, then the body
        const all = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'), Buffer.from('abc')]);
        let i = 0;
        const next = () => (i < all.length ? s.write(all.subarray(i, ++i), () => setTimeout(next, 1)) : s.end());
        return void next();
      }
      send('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found');
    });
  });
  after(() => srv.close());

  it('reads a Content-Length body whole, in pieces of its reads, pausing while a piece is taken', async () => {
    for (const slow of [false, true]) {
      const res = await rawGet(new URL(`${srv.url}/len`));
      assert.equal(res.status, 200);
      assert.equal(res.header('content-length'), String(body.length));
      const got = await readAll(res, slow);
      assert.equal(sha(got.body), sha(body));
      assert.ok(got.pieces >= 3 * 16, `read in pieces of at most 64 KiB: ${got.pieces}`);
    }
  });

  it('sends a plain GET: the path and query, Host, Connection: close, the given headers; none that asks for compression', async () => {
    const before = srv.requests.length;
    const res = await rawGet(new URL(`${srv.url}/len?x=1`), { headers: { 'X-Token': 'abc', range: 'bytes=5-' } });
    res.destroy();
    const req = srv.requests[before];
    assert.match(req, /^GET \/len\?x=1 HTTP\/1\.1\r\n/);
    assert.match(req, new RegExp(`\r\nHost: ${new URL(srv.url).host}\r\n`));
    assert.match(req, /\r\nConnection: close\r\n/);
    assert.match(req, /\r\nX-Token: abc\r\n/);
    assert.match(req, /\r\nrange: bytes=5-\r\n/);
    assert.doesNotMatch(req, /accept-encoding/i);
  });

  it('refuses a header value with CR or LF before connecting (no request smuggled)', async () => {
    const before = srv.requests.length;
    assert.throws(() => rawGet(new URL(`${srv.url}/len`), { headers: { 'x-a': 'b\r\nX-Evil: 1' } }), /Invalid character in header content \["x-a"\]/);
    assert.throws(() => rawGet(new URL(`${srv.url}/len`), { headers: { 'x a': 'b' } }), /valid HTTP token/);
    assert.equal(srv.requests.length, before);
  });

  it('a body with no length ends with the connection', async () => {
    const res = await rawGet(new URL(`${srv.url}/eof`));
    assert.equal(sha((await readAll(res, true)).body), sha(body));
  });

  it('a connection that closes before the Content-Length is reached fails the read, after handing over what came', async () => {
    const res = await rawGet(new URL(`${srv.url}/cut`));
    let n = 0;
    await assert.rejects(
      res.read((c) => void (n += c.length)),
      new RegExp(`the connection closed ${body.length - 1000} bytes before the end of the body`),
    );
    assert.equal(n, 1000);
  });

  it('skips an interim 103 response; reads a head that comes a byte at a time', async () => {
    assert.equal((await readAll(await rawGet(new URL(`${srv.url}/hints`)))).body.toString(), 'hello');
    assert.equal((await readAll(await rawGet(new URL(`${srv.url}/drip`)))).body.toString(), 'abc');
  });

  it('a chunked response is left to the general client (Unsupported), a redirect and a 404 are answered as they are', async () => {
    await assert.rejects(rawGet(new URL(`${srv.url}/chunked`)), (e: unknown) => e instanceof Unsupported && /chunked/.test((e as Error).message));
    const r = await rawGet(new URL(`${srv.url}/redirect`));
    assert.equal(r.status, 302);
    assert.equal(r.header('Location'), '/len');
    r.destroy();
    const nf = await rawGet(new URL(`${srv.url}/nothing`));
    assert.equal(nf.status, 404);
    assert.equal(nf.statusText, 'Not Found');
    assert.equal((await readAll(nf)).body.toString(), 'not found');
  });

  it('malformed responses are errors that say what is wrong', async () => {
    await assert.rejects(rawGet(new URL(`${srv.url}/big-head`)), /the response's headers are larger than 64 KiB/);
    await assert.rejects(rawGet(new URL(`${srv.url}/bad-status`)), /malformed HTTP response \(status line "HTTP\/1\.1 2OO OK"\)/);
    await assert.rejects(rawGet(new URL(`${srv.url}/bad-length`)), /malformed HTTP response \(Content-Length "5, 6"\)/);
  });

  it('a refused connection rejects with the system error; an abort stops a stalled body', async () => {
    const closed = await rawServer(() => {});
    const port = new URL(closed.url).port;
    await closed.close();
    await assert.rejects(rawGet(new URL(`http://127.0.0.1:${port}/`)), new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    const ctl = new AbortController();
    const res = await rawGet(new URL(`${srv.url}/stall`), { signal: ctl.signal });
    let n = 0;
    const reading = res.read((c) => void (n += c.length));
    setTimeout(() => ctl.abort(), 50);
    await assert.rejects(reading, /aborted/);
    assert.equal(n, 100);
  });

  it('an error thrown by the reader of a piece fails the read and closes the connection', async () => {
    const res = await rawGet(new URL(`${srv.url}/len`));
    await assert.rejects(
      res.read(() => {
        throw new Error('too large');
      }),
      /too large/,
    );
  });
});

describe('http1 over TLS (real openssl certificates; a child node trusting the test CA)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: https.Server;
  let port = 0;
  let caFile = '';
  const body = randomBytes(5 * 1024 * 1024 + 3);
  before(async () => {
    t = await tempEnv();
    const pki = await makePki(path.join(t.dir, 'pki'));
    caFile = path.join(t.dir, 'pki', 'ca.crt');
    server = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await t.cleanup();
  });

  const here = path.dirname(fileURLToPath(import.meta.url));
  const script = `
    import { rawGet } from ${JSON.stringify(path.join(here, '../../src/platform/http1.ts'))};
    import { createHash } from 'node:crypto';
    const h = createHash('sha256'); let n = 0, pieces = 0;
    try {
      const res = await rawGet(new URL(process.argv[1]));
      // every other piece taken later, as the downloader's batches take a piece that fills one: TLS hands over
      // what it already decrypted after the socket paused, and that must neither be lost nor land on the piece
      // still being taken (it stays valid until its promise settles)
      await res.read((c) => {
        n += c.length;
        if (++pieces % 2) return new Promise((r) => setTimeout(() => { h.update(c); r(); }, 1));
        h.update(c);
        return undefined;
      });
      console.log(JSON.stringify({ status: res.status, n, sha: h.digest('hex') }));
    } catch (e) { console.log(JSON.stringify({ error: e.message })); }
  `;
  const run = (url: string, env: Record<string, string>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, url], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout) =>
        err ? reject(err) : resolve(JSON.parse(stdout)),
      );
    });

  it('reads the whole body by name (SNI and the name checked), and refuses a certificate it does not trust', async () => {
    const ok = await run(`https://localhost:${port}/x`, { NODE_EXTRA_CA_CERTS: caFile });
    assert.deepEqual(ok, { status: 200, n: body.length, sha: sha(body) });
    const byIp = await run(`https://127.0.0.1:${port}/x`, { NODE_EXTRA_CA_CERTS: caFile });
    assert.equal(byIp.sha, sha(body));
    const untrusted = await run(`https://localhost:${port}/x`, {});
    assert.match(String(untrusted.error), /certificate/);
    await fs.access(caFile);
  });
});
