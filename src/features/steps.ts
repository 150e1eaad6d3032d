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
      const r = await ctx.exec(cmd, args, { ...opts, env });
      if (r.notFound) throw new DevenvError(`${cmd}: command not found`);
      if (r.timedOut) throw new DevenvError(`${formatCommand(cmd, args)} timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)}s`);
      if (!r.ok) {
        const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
        throw new DevenvError(`${formatCommand(cmd, args)} exited ${r.exitCode ?? 'abnormally'}${tail ? `: ${tail}` : ''}`);
      }
    },
  };
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
