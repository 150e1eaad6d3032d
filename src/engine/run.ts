/**
 * What the commands call: doctor, fix, revert. Takes plain options (never
 * flags) and a reporter; returns the exit code.
 */
import type { Check, FixPlan, FixStep, TimedResult } from './check.js';
import { createContext, type Context, type ContextOptions } from './context.js';
import { runChecks, runFixes, selectChecks, summarizeFixes, type FixOutcome } from './engine.js';
import { UsageError } from '../platform/errors.js';
import { networkSummary } from '../platform/proxy.js';
import { DEFAULT_IMAGE_MIRRORS } from '../platform/config.js';
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
  const clean = (v: string) => redact(v, ctx.env);
  const map = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [clean(k), clean(v)]));
  const sources: Record<string, string> = {};
  if (ctx.config.go.downloadBase) sources['go.downloadBase'] = clean(ctx.config.go.downloadBase);
  if (ctx.config.go.proxy) sources['go.proxy'] = clean(ctx.config.go.proxy);
  if (ctx.config.gem.source) sources['gem.source'] = clean(ctx.config.gem.source);
  return {
    version,
    root: ctx.root,
    project: ctx.root && ctx.projectKind ? { kind: ctx.projectKind, version: ctx.projectVersion } : null,
    network: networkSummary(ctx.env, ctx.config),
    inEffect: {
      configFiles: [...ctx.config.files],
      prefer: ctx.config.prefer,
      urls: map(ctx.config.mirrors.urls),
      images: map(ctx.config.mirrors.images),
      defaultImages: { ...DEFAULT_IMAGE_MIRRORS },
      sources,
    },
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

/** How fixes ask the person: absent members mean there is nobody to ask (not a TTY, CI, --json). */
export interface FixHooks {
  dryRun?: boolean;
  yes?: boolean;
  /** Interactive picker when neither ids nor --all are given. Throws an error named `Interrupted` on Ctrl-C. */
  pick?: (choices: { id: string; label: string }[]) => Promise<string[]>;
  confirm?: (check: Check, step: FixStep, plan: FixPlan) => Promise<boolean>;
  /** True once the person pressed Ctrl-C at a question. */
  interrupted?: () => boolean;
}

/** Exit code of a run the person interrupted with Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

export async function doctor(opts: CommonOptions & { only?: string[]; fix?: FixHooks }): Promise<{ exitCode: number; results: TimedResult[]; ctx: Context }> {
  const ctx = await setup(opts);
  const profiles = profilesOf(ctx, opts);
  const checks = selectChecks(opts.checks, { only: opts.only, profiles, disabled: ctx.config.checks.disable });
  const timeoutMs = opts.timeoutMs ?? ctx.config.checks.timeoutMs;
  const results = await runChecks(checks, ctx, {
    timeoutMs,
    disabled: ctx.config.checks.disable,
    onEvent: (e) => opts.reporter.onEvent(e),
  });
  const partial =
    opts.only && opts.only.length > 0
      ? `--only ${opts.only.join(',')}: the other checks did not run`
      : profiles.length > 0 && !profiles.includes('build') && !profiles.includes('all')
        ? `profile ${profiles.join(', ')}: the build checks did not run`
        : undefined;
  opts.reporter.doctor({ ...meta(ctx, opts.version), ...(partial ? { partial } : {}) }, checks, results, opts.fix ? { following: 'fix' } : undefined);
  const doctorExit = results.some((r) => r.status === 'fail') ? 1 : 0;
  if (!opts.fix) return { exitCode: doctorExit, results, ctx };
  // doctor --fix: the fixes for what doctor found, with the same consent rules as `fix`.
  const targets = fixPool(opts.checks, results).map((r) => r.id);
  const { exitCode } = await fixSelected(ctx, opts, targets, opts.fix, undefined, results);
  return { exitCode, results, ctx };
}

/** What `fix --all` (and `doctor --fix`) would fix: failing/warning checks with a fixer, and those skipped for a prerequisite. */
function fixPool(all: readonly Check[], results: readonly TimedResult[]): TimedResult[] {
  const known = new Map(all.map((c) => [c.id, c]));
  const failing = results.filter((r) => (r.status === 'fail' || r.status === 'warn') && known.get(r.id)?.fix);
  const needsSkipped = results.filter((r) => r.status === 'skip' && r.summary.startsWith('needs ') && known.get(r.id)?.fix);
  return [...failing, ...needsSkipped];
}

async function fixSelected(
  ctx: Context,
  opts: CommonOptions,
  targets: string[],
  hooks: FixHooks & { revert?: boolean },
  revertChecks?: Check[],
  known?: readonly TimedResult[],
): Promise<{ exitCode: number; outcomes: FixOutcome[] }> {
  const timeoutMs = opts.timeoutMs ?? ctx.config.checks.timeoutMs;
  const report = { dryRun: Boolean(hooks.dryRun), revert: Boolean(hooks.revert) };
  if (targets.length === 0 && !revertChecks) {
    opts.reporter.fix(meta(ctx, opts.version), opts.checks, [], report);
    return { exitCode: 0, outcomes: [] };
  }
  const selected = revertChecks ?? selectChecks(opts.checks, { only: targets });
  const outcomes = await runFixes(selected, ctx, {
    timeoutMs,
    fixTimeoutMs: ctx.config.fix.timeoutMs,
    dryRun: hooks.dryRun,
    yes: hooks.yes,
    revert: hooks.revert,
    confirm: hooks.confirm,
    stopped: hooks.interrupted,
    onEvent: (e) => opts.reporter.onEvent(e),
    known: known ? new Map(known.map((r) => [r.id, r])) : undefined,
  });
  const interrupted = Boolean(hooks.interrupted?.());
  opts.reporter.fix(meta(ctx, opts.version), selected, outcomes, { ...report, interrupted });
  return { exitCode: interrupted ? EXIT_INTERRUPTED : summarizeFixes(outcomes).ok ? 0 : 1, outcomes };
}

export interface FixRunOptions extends CommonOptions, FixHooks {
  ids?: string[];
  all?: boolean;
  revert?: boolean;
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
    return fixSelected(ctx, opts, ids, opts, ids.map((id) => known.get(id)!));
  }
  if (ids.length > 0 && opts.all) throw new UsageError('pass check ids or --all, not both');

  let targets = ids;
  let results: TimedResult[] | undefined;
  if (ids.length === 0) {
    const candidates = selectChecks(opts.checks, { profiles: profilesOf(ctx, opts), disabled: ctx.config.checks.disable });
    if (!opts.all && !opts.pick) {
      throw new UsageError('name the checks to fix, or pass --all', ['devenv fix --all --dry-run   (see every plan first)', 'devenv fix go-version', 'devenv doctor --fix']);
    }
    results = await runChecks(candidates, ctx, { timeoutMs, disabled: ctx.config.checks.disable, onEvent: (e) => opts.reporter.onEvent(e) });
    const pool = fixPool(opts.checks, results);
    if (opts.all || !opts.pick) targets = pool.map((r) => r.id);
    else if (pool.length > 0) {
      results = undefined; // a person chooses, for as long as it takes: the fixes look again
      try {
        targets = await opts.pick(pool.map((r) => ({ id: r.id, label: `${known.get(r.id)!.title} [${r.id}]: ${r.summary}` })));
      } catch (err) {
        if ((err as Error).name !== 'Interrupted') throw err;
        opts.reporter.fix(meta(ctx, opts.version), opts.checks, [], { dryRun: Boolean(opts.dryRun), revert: false, interrupted: true });
        return { exitCode: EXIT_INTERRUPTED, outcomes: [] };
      }
    }
  }
  return fixSelected(ctx, opts, targets, opts, undefined, results);
}
