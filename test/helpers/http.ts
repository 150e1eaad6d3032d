/** A loopback HTTP server for tests: serves built artifacts, logs requests, can misbehave on purpose. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  body: Buffer | string;
  status?: number;
  contentType?: string;
  /** Honour Range requests (206). Default true. */
  ranges?: boolean;
  /** Send this many bytes, then destroy the connection (only for the first N requests). */
  cutAfter?: number;
  cutTimes?: number;
  /** Send this many bytes, then nothing more, leaving the connection open (only for the first `stallTimes` requests, default 1). */
  stallAfter?: number;
  stallTimes?: number;
  /** Accept and never answer. */
  hang?: boolean;
  /** Answer 401 unless this header (lower-case name) has this value. */
  requireHeader?: [string, string];
}

export interface TestServer {
  url: string;
  /** `GET /path` lines (with `range=` when asked) in arrival order. */
  log: string[];
  /** Every request with its headers, in arrival order. */
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders }[];
  routes: Map<string, Route>;
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Route | Buffer | string> = {}): Promise<TestServer> {
  const table = new Map<string, Route>(Object.entries(routes).map(([k, v]) => [k, typeof v === 'string' || Buffer.isBuffer(v) ? { body: v } : v]));
  const log: string[] = [];
  const requests: TestServer['requests'] = [];
  const cuts = new Map<string, number>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.pathname + url.search;
    const range = req.headers.range;
    log.push(`${req.method} ${key}${range ? ` range=${range}` : ''}`);
    requests.push({ method: req.method ?? 'GET', path: key, headers: req.headers });
    const route = table.get(key) ?? table.get(url.pathname);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (route.hang) return;
    if (route.requireHeader && req.headers[route.requireHeader[0]] !== route.requireHeader[1]) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized');
      return;
    }
    const body = Buffer.isBuffer(route.body) ? route.body : Buffer.from(route.body);
    if (route.status && route.status !== 200) {
      res.writeHead(route.status, { 'content-type': 'text/plain' }).end(body);
      return;
    }
    let start = 0;
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': route.contentType ?? 'application/octet-stream' };
    if (route.ranges !== false) headers['accept-ranges'] = 'bytes';
    const m = range && route.ranges !== false ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m && Number(m[1]) < body.length) {
      start = Number(m[1]);
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const slice = body.subarray(start);
    headers['content-length'] = slice.length;
    res.writeHead(status, headers);
    const done = cuts.get(key) ?? 0;
    if (route.stallAfter !== undefined && done < (route.stallTimes ?? 1)) {
      cuts.set(key, done + 1);
      res.write(slice.subarray(0, route.stallAfter));
      return;
    }
    if (route.cutAfter !== undefined && done < (route.cutTimes ?? 1)) {
      cuts.set(key, done + 1);
      res.write(slice.subarray(0, route.cutAfter), () => res.socket?.destroy());
      return;
    }
    res.end(slice);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    requests,
    routes: table,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
