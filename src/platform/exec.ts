/**
 * The only module that starts subprocesses (node:child_process). Argument
 * arrays only, never a shell string; never rejects on a non-zero exit; always
 * bounded by a timeout or an abort signal so a hung daemon cannot hang devenv.
 * At most EXEC_CONCURRENCY subprocesses run at once (thousands of `docker`
 * calls queue instead of exhausting file descriptors).
 *
 * This was execa 9 with `reject: false`; the semantics devenv used are kept
 * here in ~100 lines (issue 14: execa's ~40 modules and the node builtins they
 * load cost ~8 MiB of peak RSS in every `doctor` and `fix`): SIGTERM on
 * timeout or abort, SIGKILL 2 s later if the command is still running; output
 * decoded as UTF-8 with one final newline stripped, at most MAX_BUFFER
 * characters per stream; a command still running when devenv exits gets
 * SIGTERM (except a `tree` one, which has its own group and cleanup).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import whichLib from 'which';
import { onAbort } from './abort.js';
import { onInterrupt } from './cleanup.js';

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

/** Characters kept of each output stream (execa's default maxBuffer); past it the stream is closed and the output cut. */
export const MAX_BUFFER = 100_000_000;
/** After a SIGTERM devenv sent (timeout, abort), how long a command has before SIGKILL. */
const FORCE_KILL_MS = 2000;

/** Commands (not `tree` ones) still running: each gets SIGTERM if devenv exits first. */
const running = new Set<ChildProcess>();
let exitHook = false;
function killOnExit(child: ChildProcess): () => void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGTERM');
    });
  }
  running.add(child);
  return () => running.delete(child);
}

/** execa's stripFinalNewline: one trailing LF (or CRLF) goes. */
function stripFinalNewline(s: string): string {
  return s.endsWith('\n') ? s.slice(0, s.endsWith('\r\n') ? -2 : -1) : s;
}

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The error that kept the command from starting (ENOENT, EACCES…), if any. */
  error?: NodeJS.ErrnoException;
  reason?: 'timeout' | 'cancel';
}

/** Runs one command to its end: all output read, the process gone (or never started). */
function run(file: string, argv: string[], opts: ExecOptions, signal: AbortSignal, started: (child: ChildProcess) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, argv, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.inherit ? 'inherit' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
        windowsHide: true,
        detached: Boolean(opts.tree),
      });
    } catch (err) {
      // invalid arguments (a NUL byte…): a failed result, as for a command that cannot start
      resolve({ exitCode: undefined, stdout: '', stderr: '', error: err as NodeJS.ErrnoException });
      return;
    }
    const out = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name];
      if (!stream) continue;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        if (out[name].length + chunk.length <= MAX_BUFFER) out[name] += chunk;
        else {
          out[name] += chunk.slice(0, MAX_BUFFER - out[name].length);
          stream.destroy();
        }
      });
      stream.on('error', () => {});
    }
    if (child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE: the command did not read its input
      child.stdin.end(opts.input);
    }
    let reason: Outcome['reason'];
    let error: NodeJS.ErrnoException | undefined;
    let forceKill: NodeJS.Timeout | undefined;
    const terminate = (why: NonNullable<Outcome['reason']>) => {
      reason ??= why;
      if (child.kill('SIGTERM') && !forceKill) forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_MS);
    };
    const timer = opts.timeoutMs && opts.timeoutMs > 0 ? setTimeout(() => terminate('timeout'), opts.timeoutMs) : undefined;
    const offAbort = onAbort(signal, () => terminate('cancel'));
    const forget = opts.tree ? () => {} : killOnExit(child);
    let settled = false;
    const settle = (exitCode: number | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(forceKill);
      offAbort();
      forget();
      resolve({ exitCode, stdout: stripFinalNewline(out.stdout), stderr: stripFinalNewline(out.stderr), error, reason });
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err;
      // never started: no 'exit' will come (and 'close' need not)
      if (child.pid === undefined) settle(undefined);
    });
    // 'close': the process is gone and its output fully read
    child.on('close', (code: number | null) => settle(error || code === null ? undefined : code));
    if (child.pid !== undefined) started(child);
  });
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
    let finished: Promise<unknown> = Promise.resolve();
    const outcome = run(file, argv, opts, ctl.signal, (child) => {
      if (!opts.tree) return;
      const pid = child.pid;
      const stopTree = () => killGroup(pid, 'SIGTERM');
      const offTree = onAbort(ctl.signal, stopTree);
      const offInterrupt = onInterrupt(`stopping ${command}`, async () => {
        killGroup(pid, 'SIGTERM');
        const t = setTimeout(() => killGroup(pid, 'SIGKILL'), 2000);
        await finished;
        clearTimeout(t);
        killGroup(pid, 'SIGKILL');
      });
      unregister = () => {
        offTree();
        offInterrupt();
        // Whatever the command left running in its group ends with it.
        killGroup(pid, 'SIGKILL');
      };
    });
    finished = outcome;
    const r = await outcome;
    const timedOut = r.reason === 'timeout';
    const aborted = r.reason === 'cancel';
    return {
      command,
      exitCode: r.exitCode,
      stdout: r.stdout,
      stderr: r.stderr,
      notFound: r.error?.code === 'ENOENT',
      timedOut,
      aborted,
      ok: r.exitCode === 0 && !timedOut && !aborted,
      durationMs: Date.now() - started,
    };
  } finally {
    unregister();
    off();
    release();
  }
};
