/** Builders for fix steps, so that what --dry-run prints is what runs. */
import type { FixStep } from '../engine/check.js';
import type { Context } from '../engine/context.js';
import { DevenvError } from '../platform/errors.js';
import { formatCommand, type ExecOptions } from '../platform/exec.js';

export interface ExecStepOptions extends Omit<ExecOptions, 'signal'> {
  consent?: boolean;
  /** Shown instead of the command line (e.g. when env vars matter). */
  describe?: string;
  /** Environment variables added for this command only, shown in the description. */
  extraEnv?: Record<string, string>;
}

/** A step that runs one command; fails with its stderr when it exits non-zero. */
export function execStep(cmd: string, args: string[], opts: ExecStepOptions = {}): FixStep {
  const envPrefix = Object.entries(opts.extraEnv ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const line = (envPrefix ? envPrefix + ' ' : '') + formatCommand(cmd, args) + (opts.cwd ? `  (in ${opts.cwd})` : '');
  return {
    kind: 'exec',
    describe: opts.describe ?? line,
    command: { cmd, args },
    consent: opts.consent,
    run: async (ctx: Context<unknown>) => {
      const env = opts.extraEnv ? { ...(opts.env ?? ctx.env), ...opts.extraEnv } : opts.env;
      // Every step is bounded: its own limit, else fix.commandTimeoutMs (documented, configurable).
      const timeoutMs = opts.timeoutMs ?? ctx.config.fix.commandTimeoutMs;
      const r = await ctx.exec(cmd, args, { ...opts, env, timeoutMs });
      if (r.notFound) throw new DevenvError(`${cmd}: command not found`);
      if (r.timedOut) {
        throw new DevenvError(`${formatCommand(cmd, args)} did not finish within ${formatSeconds(timeoutMs)}${opts.timeoutMs === undefined ? ' (fix.commandTimeoutMs)' : ''} and was stopped`, {
          suggestions: opts.timeoutMs === undefined ? ['Raise fix.commandTimeoutMs in the devenv config if it is merely slow.'] : [],
        });
      }
      if (!r.ok) {
        const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
        throw new DevenvError(`${formatCommand(cmd, args)} exited ${r.exitCode ?? 'abnormally'}${tail ? `: ${tail}` : ''}`);
      }
    },
  };
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s` : `${Math.round(ms / 1000)} s`;
}

/** An instruction devenv cannot carry out itself; the re-check tells whether the user did. */
export function manualStep(describe: string): FixStep {
  return { kind: 'manual', describe };
}

/** A step implemented in code; `describe` must say exactly what it changes. */
export function actionStep(kind: string, describe: string, // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: (ctx: Context<any>) => Promise<void>,
  consent = false): FixStep {
  return { kind, describe, run, consent };
}
