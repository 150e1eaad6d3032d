/** Test helpers for interruption tests: the CLI as a child we can signal, throttled loopback servers, process listings. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { binRun } from './env.js';

export interface RunningCli {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node bin/run.js …` and returns at once, so a test can signal it mid-flight. */
export function startCli(args: string[], opts: { env: Record<string, string | undefined>; cwd?: string; prefix?: string[] }): RunningCli {
  const argv = [...(opts.prefix ?? []), process.execPath, binRun, ...args];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: opts.cwd ?? os.tmpdir(),
    env: Object.fromEntries(Object.entries(opts.env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, done };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids of live processes (not zombies) whose cwd is inside `dir` or whose command line mentions it. */
export async function processesUsing(dir: string): Promise<{ pid: number; cmd: string }[]> {
  const out: { pid: number; cmd: string }[] = [];
  for (const p of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const stat = await fs.readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    if (!stat || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
    const cwd = await fs.readlink(`/proc/${p}/cwd`).catch(() => '');
    const cmd = (await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (cwd === dir || cwd.startsWith(dir + '/') || cmd.includes(dir)) out.push({ pid: Number(p), cmd });
  }
  return out;
}

/** A sha256 over a directory tree's paths, modes and contents (to prove it is byte-identical). */
export async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  async function walk(d: string): Promise<void> {
    const entries = (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(d, e.name);
      h.update(path.relative(dir, p) + '\0');
      if (e.isDirectory()) await walk(p);
      else h.update(await fs.readFile(p));
    }
  }
  await walk(dir);
  return h.digest('hex');
}

/** Writes module@version into a GOPROXY directory (list, .info, .mod, .zip). */
// One GOPROXY builder for every test: test/helpers/goproxy.ts.
export { publishModule } from './goproxy.js';

export interface SlowServer {
  url: string;
  /** request paths in arrival order */
  log: string[];
  close(): Promise<void>;
}

/**
 * Serves files under `root` over loopback HTTP, `bytesPerSecond` at a time
 * (files smaller than one second's worth go out at once), so a download is
 * still running when a test interrupts devenv.
 */
export async function serveDirSlowly(root: string, bytesPerSecond: number): Promise<SlowServer> {
  const log: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push(url.pathname);
    const file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root + path.sep)) return void res.writeHead(400).end();
    const body = await fs.readFile(file).catch(() => undefined);
    if (!body) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    const chunk = Math.max(1, Math.floor(bytesPerSecond / 10));
    let off = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (off >= body.length) return void res.end();
      res.write(body.subarray(off, off + chunk));
      off += chunk;
      setTimeout(tick, 100);
    };
    tick();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
