/**
 * What a check may use. Everything a check touches comes through here, so a
 * test can hand a check real tools in temp dirs, or a table of fakes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import whichLib from 'which';
import { loadConfig, type Config } from '../platform/config.js';
import { createDownloader, type Downloader } from '../platform/download.js';
import { UsageError } from '../platform/errors.js';
import { exec as realExec, type Exec, type ExecOptions } from '../platform/exec.js';
import { resolvePaths, type Paths } from '../platform/paths.js';
import { proxyEnv } from '../platform/proxy.js';

export type Env = Record<string, string | undefined>;

/**
 * How the engine learns about the project being built, without knowing what
 * it is: the project module (src/istio/) provides one of these, and checks
 * read its facts from `ctx.project`.
 */
export interface ProjectAdapter<P> {
  /** e.g. "istio" (shown in reports). */
  kind: string;
  /** The project root that contains `dir`, or null outside a project. */
  findRoot: (dir: string) => Promise<string | null>;
  /** Reads the facts checks need from the tree at `root`. */
  read: (root: string, env: Env) => Promise<P>;
  /** The project's version line for reports. */
  version: (facts: P) => string | null;
}

export interface Context<P = unknown> {
  /** The directory devenv was pointed at (--dir, default cwd). */
  cwd: string;
  /** The project root (an Istio checkout), or null outside one. */
  root: string | null;
  /** Facts the project adapter read from the tree; null outside a project. */
  project: P | null;
  /** The adapter that read them (its kind and version for reports). */
  projectKind: string | null;
  projectVersion: string | null;
  env: Env;
  platform: NodeJS.Platform;
  arch: string;
  isRoot: boolean;
  paths: Paths;
  config: Config;
  /** Runs a command with ctx.env and this check's abort signal unless overridden. */
  exec: Exec;
  /** Absolute path of a command on ctx.env.PATH, or null. */
  which: (cmd: string) => Promise<string | null>;
  fs: typeof fs;
  download: Downloader['download'];
  fetchText: Downloader['fetchText'];
  /** The sha256 the download cache recorded for an upstream URL (no network). */
  downloadRecord: Downloader['recorded'];
  /** Aborted when the check times out or the user interrupts. */
  signal?: AbortSignal;
  /** True when devenv may ask questions (stdin and stdout are TTYs). */
  interactive: boolean;
  /** Shares one computation between concurrent checks (e.g. `docker version`). */
  memo: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  /** The same context with an empty memo: after a fix changed the machine, probes must run again. */
  fresh: () => Context<P>;
  /** Progress lines from fix steps; the reporter decides where they go. */
  log: (line: string) => void;
}

export interface ContextOptions<P = unknown> {
  /** Reads the project's facts; without it devenv sees no project. */
  project?: ProjectAdapter<P>;
  dir?: string;
  env?: Env;
  configPath?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  exec?: Exec;
  interactive?: boolean;
  log?: (line: string) => void;
  isRoot?: boolean;
  /** --offline: contact no host at all (downloads come from the cache or fail). */
  offline?: boolean;
}

async function assertReadableDir(dir: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `--dir ${dir}: no such directory` : `--dir ${dir}: cannot access (${code})`,
      ['Pass the path of an Istio checkout, or run devenv inside one.'],
    );
  }
  if (!st.isDirectory()) throw new UsageError(`--dir ${dir}: not a directory`);
  try {
    await fs.readdir(dir);
  } catch (err) {
    throw new UsageError(`--dir ${dir}: directory is not readable (${(err as NodeJS.ErrnoException).code})`, [
      `Check its permissions: ls -ld ${dir}`,
    ]);
  }
}

export function bindExec(base: Exec, env: Env, signal?: AbortSignal): Exec {
  return (cmd, args, opts: ExecOptions = {}) =>
    base(cmd, args, { ...opts, env: opts.env ?? env, signal: opts.signal ?? signal });
}

export async function createContext<P = unknown>(opts: ContextOptions<P> = {}): Promise<Context<P>> {
  const given: Env = opts.env ?? { ...process.env };
  const cwd = path.resolve(opts.dir ?? process.cwd());
  await assertReadableDir(cwd);
  const root = opts.project ? await opts.project.findRoot(cwd) : null;
  const paths = resolvePaths(given);
  const explicit = opts.configPath ?? given.DEVENV_CONFIG;
  const [config, project] = await Promise.all([
    loadConfig({ userConfigDir: paths.config, root, explicit: explicit || undefined }),
    root && opts.project ? opts.project.read(root, given) : Promise.resolve(null),
  ]);
  if (opts.offline) config.network.offline = true;
  // Offline, `go` may use only the module cache too (go-modules' fix exports go.proxy as GOPROXY) —
  // or a module proxy on this machine's disk (file://, what `devenv bundle load` sets), which contacts no host.
  if (config.network.offline && !config.go.proxy?.split(/[,|]/).every((p) => p.startsWith('file://') || p === 'off')) config.go = { ...config.go, proxy: 'off' };
  // Subprocesses (go, gem) take the same way out as devenv's own requests: config network.proxy becomes HTTPS_PROXY etc.
  const env = proxyEnv(given, config);
  const downloader = createDownloader(config, paths.cache, { env, log: opts.log });
  const baseExec = opts.exec ?? realExec;
  const ctx: Context<P> = {
    cwd,
    root,
    project,
    projectKind: root && opts.project ? opts.project.kind : null,
    projectVersion: project !== null && opts.project ? opts.project.version(project) : null,
    env,
    platform: opts.platform ?? process.platform,
    arch: opts.arch ?? process.arch,
    isRoot: opts.isRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0),
    paths,
    config,
    exec: bindExec(baseExec, env),
    which: async (cmd) => (await whichLib(cmd, { nothrow: true, path: env.PATH ?? '' })) ?? null,
    fs,
    download: downloader.download,
    fetchText: downloader.fetchText,
    downloadRecord: downloader.recorded,
    interactive: opts.interactive ?? false,
    memo: newMemo(),
    fresh: () => ({ ...ctx, memo: newMemo() }),
    log: opts.log ?? (() => {}),
  };
  return ctx;
}

function newMemo(): Context['memo'] {
  const memos = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>) => {
    let p = memos.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      memos.set(key, p);
    }
    return p;
  };
}

/** A copy of ctx whose exec and downloads obey `signal` (one per check run). */
export function withSignal<P>(ctx: Context<P>, signal: AbortSignal, wrap?: (e: Exec) => Exec): Context<P> {
  const bound = bindExec(ctx.exec, ctx.env, signal);
  return {
    ...ctx,
    signal,
    exec: wrap ? wrap(bound) : bound,
    download: (o) => ctx.download({ ...o, signal: o.signal ?? signal }),
    fetchText: (u, o) => ctx.fetchText(u, { ...o, signal: o?.signal ?? signal }),
  };
}

