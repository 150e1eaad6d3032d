/**
 * Runs checks and fixes: concurrency bounded only by the needs-graph,
 * per-check timeouts that abort the probe's subprocesses, thrown errors turned
 * into failures, and a re-check after every fix. Knows nothing of flags or of
 * the terminal: reporters subscribe to events.
 */
import type { Check, CheckResult, FixPlan, FixStep, TimedResult } from './check.js';
import { withSignal, type Context } from './context.js';
import { DevenvError, UsageError, errorMessage } from '../platform/errors.js';
import type { Exec } from '../platform/exec.js';
import { redact } from '../platform/redact.js';

export type EngineEvent =
  | { type: 'check-start'; check: Check }
  | { type: 'check-end'; check: Check; result: TimedResult }
  | { type: 'fix-start'; check: Check; plan: FixPlan }
  | { type: 'step-start'; check: Check; step: FixStep }
  | { type: 'step-end'; check: Check; step: FixStep; error?: string; skipped?: string }
  | { type: 'fix-end'; check: Check; outcome: FixOutcome };

export interface RunOptions {
  /** Per-check timeout in ms. */
  timeoutMs: number;
  onEvent?: (e: EngineEvent) => void;
}

/** Checks that pass the profile filter, plus the prerequisites of those selected. */
export function selectChecks(
  all: readonly Check[],
  opts: { only?: string[]; profiles?: string[]; disabled?: string[] },
): Check[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  const unknown = [...(opts.only ?? []), ...(opts.disabled ?? [])].filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown check id${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, [
      `Known checks: ${[...byId.keys()].join(', ')}`,
      'Run `devenv checks` to see what each one does.',
    ]);
  }
  const profiles = opts.profiles && opts.profiles.length > 0 ? opts.profiles : ['build'];
  const inProfile = (c: Check) => profiles.includes('all') || (c.profiles ?? ['build']).some((p) => profiles.includes(p));
  const wanted = new Set<string>(opts.only && opts.only.length > 0 ? opts.only : all.filter(inProfile).map((c) => c.id));
  const add = (id: string) => {
    for (const need of byId.get(id)?.needs ?? []) {
      if (byId.has(need) && !wanted.has(need)) {
        wanted.add(need);
        add(need);
      }
    }
  };
  for (const id of [...wanted]) add(id);
  return all.filter((c) => wanted.has(c.id));
}

const passed = (r: CheckResult | undefined) => r?.status === 'ok' || r?.status === 'warn';

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** Runs one function under a timeout whose expiry aborts every subprocess it started. */
async function underTimeout<T>(
  check: Check,
  ctx: Context,
  timeoutMs: number,
  fn: (c: Context) => Promise<T>,
): Promise<{ value?: T; timedOutMsg?: string; error?: unknown }> {
  const ctl = new AbortController();
  const running = new Set<string>();
  let last: string | undefined;
  const track = (e: Exec): Exec => async (cmd, args, o) => {
    const label = [cmd, ...args].join(' ');
    running.add(label);
    last = label;
    try {
      return await e(cmd, args, o);
    } finally {
      running.delete(label);
    }
  };
  const c = withSignal(ctx, ctl.signal, track);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([fn(c).then((value) => ({ value })), timeout]);
    if (outcome === 'timeout') {
      const cmd = [...running][0] ?? last;
      ctl.abort();
      return {
        timedOutMsg: `${check.id}: timed out after ${seconds(timeoutMs)}${cmd ? ` waiting for \`${cmd}\`` : ''}`,
      };
    }
    return outcome;
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
    if (!ctl.signal.aborted) ctl.abort();
  }
}

export async function runOneCheck(check: Check, ctx: Context, timeoutMs: number, opts: { appliesKnown?: boolean } = {}): Promise<TimedResult> {
  const started = Date.now();
  const finish = (r: CheckResult): TimedResult => {
    const clean = (s: string | undefined) => (s === undefined ? undefined : redact(s, ctx.env));
    return {
      ...r,
      summary: clean(r.summary) ?? '',
      found: clean(r.found),
      required: clean(r.required),
      hint: clean(r.hint),
      details: r.details?.map((d) => clean(d) ?? ''),
      id: check.id,
      durationMs: Date.now() - started,
    };
  };
  const out = await underTimeout(check, ctx, timeoutMs, async (c) => {
    if (check.appliesTo && !opts.appliesKnown) {
      const applies = await check.appliesTo(c);
      if (applies !== true) {
        return {
          status: 'skip',
          summary: typeof applies === 'string' ? applies : 'does not apply here',
        } satisfies CheckResult;
      }
    }
    return check.run(c);
  });
  if (out.timedOutMsg) {
    return finish({
      status: 'fail',
      summary: out.timedOutMsg,
      hint: 'Something did not answer; raise the limit with --timeout or checks.timeoutMs if it is merely slow.',
    });
  }
  if (out.error !== undefined) {
    return finish({
      status: 'fail',
      summary: `${check.id}: check crashed: ${errorMessage(out.error)}`,
      hint: out.error instanceof DevenvError ? out.error.suggestions.join(' ') || undefined : 'This is a bug in devenv; please report it with `devenv info`.',
    });
  }
  return finish(out.value as CheckResult);
}

/**
 * Runs every check concurrently; a check waits only for its `needs`, and is
 * skipped when one of them did not pass. Results come back in input order.
 */
export async function runChecks(
  checks: readonly Check[],
  ctx: Context,
  opts: RunOptions & { disabled?: string[] },
): Promise<TimedResult[]> {
  const promises = new Map<string, Promise<TimedResult>>();
  const byId = new Map(checks.map((c) => [c.id, c]));
  const start = (check: Check): Promise<TimedResult> => {
    const existing = promises.get(check.id);
    if (existing) return existing;
    const p = (async (): Promise<TimedResult> => {
      const t0 = Date.now();
      if (opts.disabled?.includes(check.id)) {
        const r: TimedResult = { id: check.id, status: 'skip', summary: 'disabled by checks.disable in the devenv config', durationMs: 0 };
        opts.onEvent?.({ type: 'check-end', check, result: r });
        return r;
      }
      // A check that does not apply here says so, rather than blaming its prerequisites.
      if (check.appliesTo) {
        const applies = await Promise.resolve(check.appliesTo(ctx)).catch(() => true as const);
        if (applies !== true) {
          const r: TimedResult = { id: check.id, status: 'skip', summary: typeof applies === 'string' ? applies : 'does not apply here', durationMs: Date.now() - t0 };
          opts.onEvent?.({ type: 'check-end', check, result: r });
          return r;
        }
      }
      const needs = (check.needs ?? []).filter((n) => byId.has(n));
      const needResults = await Promise.all(needs.map((n) => start(byId.get(n)!)));
      const failed = needs.filter((_, i) => !passed(needResults[i]));
      if (failed.length > 0) {
        const r: TimedResult = {
          id: check.id,
          status: 'skip',
          summary: `needs ${failed.join(', ')}`,
          hint: `Fix ${failed.join(', ')} first: devenv fix ${failed.join(' ')}`,
          durationMs: Date.now() - t0,
        };
        opts.onEvent?.({ type: 'check-end', check, result: r });
        return r;
      }
      opts.onEvent?.({ type: 'check-start', check });
      const r = await runOneCheck(check, ctx, opts.timeoutMs, { appliesKnown: true });
      opts.onEvent?.({ type: 'check-end', check, result: r });
      return r;
    })();
    promises.set(check.id, p);
    return p;
  };
  return Promise.all(checks.map(start));
}

export type FixAction =
  | 'already-ok'
  | 'fixed'
  | 'still-failing'
  | 'failed'
  | 'skipped'
  | 'planned'
  | 'declined'
  | 'no-fixer';

export interface FixOutcome {
  id: string;
  action: FixAction;
  before: TimedResult;
  plan?: FixPlan;
  after?: TimedResult;
  message?: string;
}

export interface FixOptions extends RunOptions {
  dryRun?: boolean;
  /** Run consent steps without asking. */
  yes?: boolean;
  /** Asks the user about a consent step; absent when there is nobody to ask. */
  confirm?: (check: Check, step: FixStep) => Promise<boolean>;
  /** Timeout for one fix plan (downloads and installs take longer than probes). */
  fixTimeoutMs?: number;
}

/**
 * Fixes the given checks: each fix waits for the fixes of its `needs`; fixes
 * with no relation run concurrently. After each fix the check is re-run and
 * that result is what gets reported.
 */
export async function runFixes(checks: readonly Check[], ctx: Context, opts: FixOptions): Promise<FixOutcome[]> {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const outcomes = new Map<string, Promise<FixOutcome>>();
  const fixTimeout = opts.fixTimeoutMs ?? 30 * 60_000;

  const fixOne = (check: Check): Promise<FixOutcome> => {
    const existing = outcomes.get(check.id);
    if (existing) return existing;
    const p = (async (): Promise<FixOutcome> => {
      const needs = (check.needs ?? []).filter((n) => byId.has(n));
      const needOutcomes = await Promise.all(needs.map((n) => fixOne(byId.get(n)!)));
      const done = (o: FixOutcome) => {
        opts.onEvent?.({ type: 'fix-end', check, outcome: o });
        return o;
      };
      const waiting = needs.filter((_, i) => opts.dryRun && needOutcomes[i].action === 'planned');
      const unmet = needs.filter((_, i) => {
        const o = needOutcomes[i];
        const final = o.after ?? o.before;
        return !passed(final) && !waiting.includes(needs[i]);
      });
      if (unmet.length > 0) {
        const before: TimedResult = { id: check.id, status: 'skip', summary: `needs ${unmet.join(', ')}`, durationMs: 0 };
        return done({ id: check.id, action: 'skipped', before, message: `needs ${unmet.join(', ')}, which could not be fixed` });
      }
      if (waiting.length > 0) {
        // A dry run cannot know this plan before its prerequisites are really fixed.
        const before: TimedResult = { id: check.id, status: 'skip', summary: `needs ${waiting.join(', ')}`, durationMs: 0 };
        return done({ id: check.id, action: 'planned', before, message: `planned after ${waiting.join(', ')} is fixed` });
      }
      const before = await runOneCheck(check, ctx.fresh(), opts.timeoutMs);
      opts.onEvent?.({ type: 'check-end', check, result: before });
      if (before.status === 'ok' || before.status === 'skip') {
        return done({ id: check.id, action: 'already-ok', before, message: before.status === 'skip' ? before.summary : undefined });
      }
      if (!check.fix) {
        return done({ id: check.id, action: 'no-fixer', before, message: before.hint ?? 'devenv has no automatic fix for this check' });
      }
      const built = await underTimeout(check, ctx, opts.timeoutMs, (c) => check.fix!(c, before));
      if (built.timedOutMsg || built.error !== undefined) {
        const msg = built.timedOutMsg ?? errorMessage(built.error);
        return done({ id: check.id, action: 'failed', before, message: `could not plan the fix: ${redact(msg, ctx.env)}` });
      }
      const raw: FixPlan = built.value!;
      // Descriptions are for display: never show a secret in them (a mirror URL with a password, a token).
      const plan: FixPlan = { ...raw, notes: raw.notes?.map((n) => redact(n, ctx.env)), steps: raw.steps.map((st) => ({ ...st, describe: redact(st.describe, ctx.env) })) };
      if (plan.steps.length === 0) {
        return done({ id: check.id, action: before.status === 'warn' ? 'already-ok' : 'no-fixer', before, plan, message: plan.notes?.join(' ') });
      }
      opts.onEvent?.({ type: 'fix-start', check, plan });
      if (opts.dryRun) {
        return done({ id: check.id, action: 'planned', before, plan });
      }
      // Consent first, for every step, so nothing runs half-way and then stops for a question.
      for (const step of plan.steps) {
        if (!step.consent || opts.yes) continue;
        const ok = opts.confirm ? await opts.confirm(check, step) : false;
        if (!ok) {
          return done({
            id: check.id,
            action: opts.confirm ? 'declined' : 'planned',
            before,
            plan,
            message: opts.confirm
              ? step.describe
              : `needs consent to: ${step.describe} (re-run with --yes to allow it)`,
          });
        }
      }
      let failure: string | undefined;
      const runStep = async (c: Context, step: FixStep): Promise<string | undefined> => {
        opts.onEvent?.({ type: 'step-start', check, step });
        if (!step.run) {
          opts.onEvent?.({ type: 'step-end', check, step, skipped: 'do this yourself' });
          return undefined;
        }
        try {
          await step.run(c);
          opts.onEvent?.({ type: 'step-end', check, step });
          return undefined;
        } catch (err) {
          const msg = redact(errorMessage(err), ctx.env);
          opts.onEvent?.({ type: 'step-end', check, step, error: msg });
          return msg;
        }
      };
      const ran = await underTimeout(check, ctx, fixTimeout, async (c) => {
        if (plan.concurrent) {
          const errors = (await Promise.all(plan.steps.map((s) => runStep(c, s)))).filter((e): e is string => Boolean(e));
          if (errors.length > 0) failure = errors.join('; ');
          return;
        }
        for (const step of plan.steps) {
          failure = await runStep(c, step);
          if (failure) return;
        }
      });
      if (ran.timedOutMsg) failure = ran.timedOutMsg;
      else if (ran.error !== undefined && !failure) failure = redact(errorMessage(ran.error), ctx.env);
      const after = await runOneCheck(check, ctx.fresh(), opts.timeoutMs);
      opts.onEvent?.({ type: 'check-end', check, result: after });
      if (failure) return done({ id: check.id, action: 'failed', before, plan, after, message: failure });
      return done({ id: check.id, action: passed(after) ? 'fixed' : 'still-failing', before, plan, after });
    })();
    outcomes.set(check.id, p);
    return p;
  };
  return Promise.all(checks.map(fixOne));
}

/** A fix succeeded when its check passes afterwards (or passed already). */
export function fixSucceeded(o: FixOutcome): boolean {
  if (o.action === 'already-ok') return true;
  if (o.action === 'fixed') return true;
  return false;
}
