/**
 * What the commands call: doctor, fix, revert. Takes plain options (never
 * flags) and a reporter; returns the exit code.
 */
import type { Check, TimedResult } from './check.js';
import { createContext, type Context, type ContextOptions } from './context.js';
import { runChecks, runFixes, selectChecks, summarizeFixes, type FixOutcome } from './engine.js';
import { UsageError } from '../platform/errors.js';
import { networkSummary } from '../platform/proxy.js';
import { redact } from '../platform/redact.js';
import type { ReportMeta, Reporter } from './reporters/types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface CommonOptions extends ContextOptions<any> {
  version: string;
  reporter: Reporter;
  checks: readonly Check[];
  profiles?: string[];
  /** Per-check timeout in ms; default config checks.timeoutMs (10 s). */
  timeoutMs?: number;
}

export function meta(ctx: Context, version: string): ReportMeta {
  return {
    version,
    root: ctx.root,
    project: ctx.root && ctx.projectKind ? { kind: ctx.projectKind, version: ctx.projectVersion } : null,
    network: networkSummary(ctx.env, ctx.config),
  };
}

async function setup(opts: CommonOptions): Promise<Context> {
  const env = opts.env ?? process.env;
  return createContext({ ...opts, log: (l) => opts.reporter.log(redact(l, env)) });
}

function profilesOf(ctx: Context, opts: CommonOptions): string[] {
  const p = opts.profiles && opts.profiles.length > 0 ? opts.profiles : ctx.config.profiles;
  return p;
}

export async function doctor(opts: CommonOptions & { only?: string[] }): Promise<{ exitCode: number; results: TimedResult[]; ctx: Context }> {
  const ctx = await setup(opts);
  const checks = selectChecks(opts.checks, { only: opts.only, profiles: profilesOf(ctx, opts), disabled: ctx.config.checks.disable });
  const results = await runChecks(checks, ctx, {
    timeoutMs: opts.timeoutMs ?? ctx.config.checks.timeoutMs,
    disabled: ctx.config.checks.disable,
    onEvent: (e) => opts.reporter.onEvent(e),
  });
  opts.reporter.doctor(meta(ctx, opts.version), checks, results);
  return { exitCode: results.some((r) => r.status === 'fail') ? 1 : 0, results, ctx };
}

export interface FixRunOptions extends CommonOptions {
  ids?: string[];
  all?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  revert?: boolean;
  /** Interactive picker when neither ids nor --all are given. */
  pick?: (choices: { id: string; label: string }[]) => Promise<string[]>;
  confirm?: (check: Check, step: import('./check.js').FixStep) => Promise<boolean>;
}

export async function fix(opts: FixRunOptions): Promise<{ exitCode: number; outcomes: FixOutcome[] }> {
  const ctx = await setup(opts);
  const timeoutMs = opts.timeoutMs ?? ctx.config.checks.timeoutMs;
  const known = new Map(opts.checks.map((c) => [c.id, c]));
  const ids = opts.ids ?? [];
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) selectChecks(opts.checks, { only: unknown }); // throws the usage error
  if (opts.revert) {
    if (ids.length === 0) throw new UsageError('--revert needs the ids of the checks whose fixes to undo', ['devenv fix --revert kubectl-cache']);
    const noRevert = ids.filter((id) => !known.get(id)!.revert);
    if (noRevert.length > 0) throw new UsageError(`nothing to revert for: ${noRevert.join(', ')} (these fixes keep no backup to restore)`);
  }
  if (ids.length > 0 && opts.all) throw new UsageError('pass check ids or --all, not both');

  let targets = ids;
  if (!opts.revert && ids.length === 0) {
    const candidates = selectChecks(opts.checks, { profiles: profilesOf(ctx, opts), disabled: ctx.config.checks.disable });
    if (!opts.all && !opts.pick) {
      throw new UsageError('name the checks to fix, or pass --all', ['devenv fix --all --dry-run   (see every plan first)', 'devenv fix go-version']);
    }
    const results = await runChecks(candidates, ctx, { timeoutMs, disabled: ctx.config.checks.disable });
    const failing = results.filter((r) => (r.status === 'fail' || r.status === 'warn') && known.get(r.id)?.fix);
    const needsSkipped = results.filter((r) => r.status === 'skip' && r.summary.startsWith('needs ') && known.get(r.id)?.fix);
    const pool = [...failing, ...needsSkipped];
    if (opts.all || !opts.pick) targets = pool.map((r) => r.id);
    else {
      opts.reporter.pause();
      targets = pool.length === 0 ? [] : await opts.pick(pool.map((r) => ({ id: r.id, label: `${known.get(r.id)!.title} [${r.id}]: ${r.summary}` })));
    }
    if (targets.length === 0) {
      opts.reporter.fix(meta(ctx, opts.version), opts.checks, [], { dryRun: Boolean(opts.dryRun), revert: false });
      return { exitCode: 0, outcomes: [] };
    }
  }

  const selected = opts.revert ? ids.map((id) => known.get(id)!) : selectChecks(opts.checks, { only: targets });
  const outcomes = await runFixes(selected, ctx, {
    timeoutMs,
    fixTimeoutMs: ctx.config.fix.timeoutMs,
    dryRun: opts.dryRun,
    yes: opts.yes,
    revert: opts.revert,
    confirm: opts.confirm ? async (c, s) => (opts.reporter.pause(), opts.confirm!(c, s)) : undefined,
    onEvent: (e) => opts.reporter.onEvent(e),
  });
  opts.reporter.fix(meta(ctx, opts.version), selected, outcomes, { dryRun: Boolean(opts.dryRun), revert: Boolean(opts.revert) });
  return { exitCode: summarizeFixes(outcomes).ok ? 0 : 1, outcomes };
}
