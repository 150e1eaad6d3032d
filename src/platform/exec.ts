/**
 * The only module that imports execa. Argument arrays only, never a shell
 * string; never rejects on a non-zero exit; always bounded by a timeout or an
 * abort signal so a hung daemon cannot hang devenv.
 */
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

export const exec: Exec = async (cmd, args, opts = {}) => {
  const started = Date.now();
  const command = formatCommand(cmd, args);
  const { execa } = await (execaModule ??= import('execa'));
  const result = await execa(cmd, [...args], {
    cwd: opts.cwd,
    env: opts.env as NodeJS.ProcessEnv | undefined,
    extendEnv: opts.env === undefined,
    timeout: opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : undefined,
    cancelSignal: opts.signal,
    forceKillAfterDelay: 2000,
    reject: false,
    stripFinalNewline: true,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    stdout: opts.inherit ? 'inherit' : 'pipe',
    stderr: opts.inherit ? 'inherit' : 'pipe',
    windowsHide: true,
  });
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
};
