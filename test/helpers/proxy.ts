/**
 * A small forward proxy for tests (absolute-URI GETs for http://, CONNECT
 * tunnels for https://) on 127.0.0.1. It resolves only the names in `hosts`
 * (and 127.0.0.1), so a mirror named there is reachable only through it; it
 * never connects anywhere else. Optional Basic credentials (407 without).
 */
import http from 'node:http';
import net from 'node:net';

export interface TestProxy {
  url: string;
  port: number;
  /** `GET http://host:port/path` and `CONNECT host:port` lines, in arrival order. */
  log: string[];
  /** Requests refused for missing or wrong credentials. */
  denied: number;
  close(): Promise<void>;
}

export async function startProxy(opts: { hosts?: Record<string, string>; user?: string; password?: string } = {}): Promise<TestProxy> {
  const log: string[] = [];
  const sockets = new Set<net.Socket>();
  const state = { denied: 0 };
  const expected = opts.user ? `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}` : undefined;
  const resolve = (host: string, port: number): { host: string; port: number } | undefined => {
    const mapped = opts.hosts?.[host];
    if (mapped) {
      const [h, p] = mapped.split(':');
      return { host: h, port: Number(p ?? port) };
    }
    return host === '127.0.0.1' ? { host, port } : undefined;
  };
  const authorized = (req: http.IncomingMessage) => !expected || req.headers['proxy-authorization'] === expected;

  const server = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url}`);
    if (!authorized(req)) {
      state.denied++;
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    const to = resolve(target.hostname, Number(target.port || 80));
    if (!to) {
      res.writeHead(502).end(`test proxy: unknown host ${target.hostname}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = http.request({ host: to.host, port: to.port, method: req.method, path: target.pathname + target.search, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    log.push(`CONNECT ${req.url}`);
    sockets.add(client);
    if (!authorized(req)) {
      state.denied++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const to = resolve(host, Number(port));
    if (!to) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const up = net.connect(to.port, to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    get denied() {
      return state.denied;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
