/**
 * The only module that imports execa. Argument arrays only, never a shell
 * string; never rejects on a non-zero exit; always bounded by a timeout or an
 * abort signal so a hung daemon cannot hang devenv. At most EXEC_CONCURRENCY
 * subprocesses run at once (thousands of `docker` calls queue instead of
 * exhausting file descriptors).
 */
import path from 'node:path';
import whichLib from 'which';
import { onAbort } from './abort.js';
import { onInterrupt } from './cleanup.js';
// execa (and its ~40 modules) loads on the first command run, not at start-up:
// `devenv --help`, `shellenv` and `env init` never need it.
let execaModule: Promise<typeof import('execa')> | undefined;

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Milliseconds; 0 = no timeout of its own (the check's signal still applies). */
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
  /** Stream output to the terminal instead of capturing it (fix steps on a TTY). */
  inherit?: boolean;
  /**
   * A long fix subprocess (go mod vendor): runs in its own process group,
   * which is killed as a whole on timeout, abort or when devenv is
   * interrupted; on Linux it also dies with devenv (even kill -9) through
   * `setpriv --pdeathsig`.
   */
  tree?: boolean;
}

export interface ExecResult {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The executable was not found (ENOENT). */
  notFound: boolean;
  timedOut: boolean;
  /** Killed because the signal aborted (check timeout, Ctrl-C). */
  aborted: boolean;
  ok: boolean;
  durationMs: number;
}

export type Exec = (cmd: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** Quotes an argument for display (never executed by a shell). */
export function quoteArg(arg: string): string {
  if (arg === '') return "''";
  if (/^[A-Za-z0-9_\-+=.,/:@%^]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(quoteArg).join(' ');
}

/** Subprocesses devenv runs at once; more wait their turn. */
export const EXEC_CONCURRENCY = 16;

let active = 0;
const waiting: (() => void)[] = [];

/** Waits for a slot; resolves false (no slot taken) if `signal` aborts first. */
function acquire(signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (active < EXEC_CONCURRENCY) {
    active++;
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const go = () => {
      off();
      active++;
      resolve(true);
    };
    const off = onAbort(signal, () => {
      const i = waiting.indexOf(go);
      if (i >= 0) waiting.splice(i, 1);
      resolve(false);
    });
    waiting.push(go);
  });
}

function release(): void {
  active--;
  const next = waiting.shift();
  if (next) next();
}

let setprivPath: Promise<string | null> | undefined;
/** util-linux setpriv with --pdeathsig (Linux), or null. */
function setpriv(): Promise<string | null> {
  setprivPath ??= process.platform !== 'linux'
    ? Promise.resolve(null)
    : whichLib('setpriv', { nothrow: true, path: `${process.env.PATH ?? ''}${path.delimiter}/usr/bin${path.delimiter}/bin` }).then((p) => p ?? null);
  return setprivPath;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

export const exec: Exec = async (cmd, args, opts = {}) => {
  const started = Date.now();
  const command = formatCommand(cmd, args);
  const notRun = (aborted: boolean): ExecResult => ({ command, exitCode: undefined, stdout: '', stderr: '', notFound: false, timedOut: false, aborted, ok: false, durationMs: Date.now() - started });
  if (!(await acquire(opts.signal))) return notRun(true);
  const ctl = new AbortController();
  const off = onAbort(opts.signal, () => ctl.abort());
  let unregister = () => {};
  try {
    let file = cmd;
    let argv = [...args];
    if (opts.tree) {
      // Resolve first, so a missing command still reads as "not found" rather than a setpriv error.
      const resolved = cmd.includes('/') ? cmd : await whichLib(cmd, { nothrow: true, path: opts.env?.PATH ?? process.env.PATH ?? '' });
      const sp = resolved ? await setpriv() : null;
      if (resolved && sp) [file, argv] = [sp, ['--pdeathsig', 'KILL', '--', resolved, ...args]];
    }
    const { execa } = await (execaModule ??= import('execa'));
    const child = execa(file, argv, {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv | undefined,
      extendEnv: opts.env === undefined,
      timeout: opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : undefined,
      cancelSignal: ctl.signal,
      forceKillAfterDelay: 2000,
      reject: false,
      stripFinalNewline: true,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      stdout: opts.inherit ? 'inherit' : 'pipe',
      stderr: opts.inherit ? 'inherit' : 'pipe',
      windowsHide: true,
      detached: Boolean(opts.tree),
      cleanup: true,
    });
    if (opts.tree) {
      const pid = child.pid;
      const stopTree = () => killGroup(pid, 'SIGTERM');
      const offTree = onAbort(ctl.signal, stopTree);
      const offInterrupt = onInterrupt(`stopping ${command}`, async () => {
        killGroup(pid, 'SIGTERM');
        const t = setTimeout(() => killGroup(pid, 'SIGKILL'), 2000);
        await child.catch(() => {});
        clearTimeout(t);
        killGroup(pid, 'SIGKILL');
      });
      unregister = () => {
        offTree();
        offInterrupt();
        // Whatever the command left running in its group ends with it.
        killGroup(pid, 'SIGKILL');
      };
    }
    const result = await child;
    const code = (result as { code?: string }).code;
    const notFound = code === 'ENOENT' || /ENOENT/.test(String(result.message ?? '')) && result.exitCode === undefined;
    return {
      command,
      exitCode: result.exitCode,
      stdout: typeof result.stdout === 'string' ? result.stdout : '',
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      notFound,
      timedOut: Boolean(result.timedOut),
      aborted: Boolean(result.isCanceled),
      ok: result.exitCode === 0 && !result.timedOut && !result.isCanceled,
      durationMs: Date.now() - started,
    };
  } finally {
    unregister();
    off();
    release();
  }
};
