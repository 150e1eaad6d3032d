/**
 * Runs checks and fixes: concurrency bounded only by the needs-graph,
 * per-check timeouts that abort the probe's subprocesses, thrown errors turned
 * into failures, and a re-check after every fix. Knows nothing of flags or of
 * the terminal: reporters subscribe to events.
 */
import type { Check, CheckResult, FixPlan, FixStep, TimedResult } from './check.js';
import { withSignal, type Context } from './context.js';
import { closest } from '../platform/closest.js';
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

/** Throws naming the cycle when `needs` loop back (a → b → a). */
export function assertNoCycles(all: readonly Check[]): void {
  const byId = new Map(all.map((c) => [c.id, c]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, trail: string[]) => {
    if (state.get(id) === 'done' || !byId.has(id)) return;
    if (state.get(id) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(id)), id];
      throw new DevenvError(`checks have a cycle in their needs: ${cycle.join(' → ')}`, { suggestions: ['This is a bug in devenv; please report it with `devenv info`.'] });
    }
    state.set(id, 'visiting');
    for (const n of byId.get(id)!.needs ?? []) visit(n, [...trail, id]);
    state.set(id, 'done');
  };
  for (const c of all) visit(c.id, []);
}

/** Checks that pass the profile filter, plus the prerequisites of those selected. */
export function selectChecks(
  all: readonly Check[],
  opts: { only?: string[]; profiles?: string[]; disabled?: string[] },
): Check[] {
  assertNoCycles(all);
  const byId = new Map(all.map((c) => [c.id, c]));
  const unknown = [...(opts.only ?? []), ...(opts.disabled ?? [])].filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    const near = unknown.map((id) => closest(id, [...byId.keys()], 1)[0]).filter((id): id is string => id !== undefined);
    const guess = near.length > 0 ? `. Did you mean ${[...new Set(near)].join(', ')}?` : '';
    throw new UsageError(`unknown check id${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}${guess}`, [
      `Known checks: ${[...byId.keys()].join(', ')}`,
      'Run `devenv checks` to see what each one does.',
    ]);
  }
  const profiles = opts.profiles && opts.profiles.length > 0 ? opts.profiles : ['build'];
  const inProfile = (c: Check) => (profiles.includes('all') && !c.optIn) || (c.profiles ?? ['build']).some((p) => profiles.includes(p));
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

/** What a check's own exception becomes: a crash (a devenv bug) unless it is a DevenvError (the user can act). */
function crashResult(check: Check, error: unknown, where: string): CheckResult & { crashed?: boolean } {
  if (error instanceof DevenvError) {
    return { status: 'fail', summary: errorMessage(error), hint: error.suggestions.join(' ') || undefined };
  }
  return {
    status: 'fail',
    crashed: true,
    summary: `${check.id}: check crashed in ${where}: ${errorMessage(error)}`,
    hint: 'This is a bug in devenv, not a problem with your machine; please report it with the output of `devenv info`.',
  };
}

function timeoutResult(msg: string): CheckResult {
  return {
    status: 'fail',
    summary: msg,
    hint: 'Something did not answer; raise the limit with --timeout or checks.timeoutMs if it is merely slow.',
  };
}

/**
 * Whether a check applies here, under the check's timeout, signal and catch.
 * Returns null when it applies, else the result to report (skip, timeout, crash).
 */
async function applies(check: Check, ctx: Context, timeoutMs: number): Promise<CheckResult | null> {
  if (!check.appliesTo) return null;
  const out = await underTimeout(check, ctx, timeoutMs, async (c) => check.appliesTo!(c));
  if (out.timedOutMsg) return timeoutResult(out.timedOutMsg.replace(': timed out', ': deciding whether it applies timed out'));
  if (out.error !== undefined) return crashResult(check, out.error, 'appliesTo');
  const v = out.value;
  if (v === true) return null;
  return { status: 'skip', summary: typeof v === 'string' ? v : 'does not apply here' };
}

export async function runOneCheck(check: Check, ctx: Context, timeoutMs: number, opts: { appliesKnown?: boolean } = {}): Promise<TimedResult> {
  const started = Date.now();
  const finish = (r: CheckResult & { crashed?: boolean }): TimedResult => {
    const clean = (s: string | undefined) => (s === undefined ? undefined : redact(s, ctx.env));
    return {
      ...r,
      summary: clean(r.summary) ?? '',
      found: clean(r.found),
      required: clean(r.required),
      source: clean(r.source),
      hint: clean(r.hint),
      details: r.details?.map((d) => clean(d) ?? ''),
      id: check.id,
      durationMs: Date.now() - started,
      ...(r.crashed ? { crashed: true } : {}),
    };
  };
  if (!opts.appliesKnown) {
    const skip = await applies(check, ctx, timeoutMs);
    if (skip) return finish(skip);
  }
  const out = await underTimeout(check, ctx, timeoutMs, async (c) => check.run(c));
  if (out.timedOutMsg) return finish(timeoutResult(out.timedOutMsg));
  if (out.error !== undefined) return finish(crashResult(check, out.error, 'run'));
  const v = out.value;
  if (!v || typeof v !== 'object' || !['ok', 'warn', 'fail', 'skip'].includes((v as CheckResult).status)) {
    return finish(crashResult(check, new Error(`run() returned ${JSON.stringify(v)?.slice(0, 80)}, not a result`), 'run'));
  }
  return finish(v);
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
        const skip = await applies(check, ctx, opts.timeoutMs);
        if (skip) {
          const r: TimedResult = { ...skip, id: check.id, durationMs: Date.now() - t0 };
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
  /** Nothing to do: the check was ok before. */
  | 'already-ok'
  /** Steps ran and the re-check is ok. */
  | 'fixed'
  /** Steps ran and the re-check is better but not ok (fail → warn). */
  | 'improved'
  /** The plan is only steps the person must do; nothing ran. */
  | 'manual'
  /** Steps ran but the re-check is no better. */
  | 'still-failing'
  /** A step failed (or the plan could not be built). */
  | 'failed'
  /** Not attempted: it does not apply here, or a prerequisite could not be fixed. */
  | 'skipped'
  /** Dry run, or consent was needed and nobody could give it. */
  | 'planned'
  /** The person said no to a step. */
  | 'declined'
  /** The check fails and devenv has no fix for it. */
  | 'no-fixer'
  /** `fix --revert`: the fix's changes were undone. */
  | 'reverted';

/** The message of a `reverted` outcome whose fix had left nothing to undo (no backup: devenv never changed it here). */
export const NOTHING_TO_REVERT = 'nothing to revert';

export interface FixOutcome {
  id: string;
  action: FixAction;
  before: TimedResult;
  plan?: FixPlan;
  after?: TimedResult;
  message?: string;
  /** Steps the person still has to do themselves (manual steps of the plan) when the check is not ok. */
  needsYou?: string[];
  /** What to try, from the error that failed a step or the planning (a DevenvError's suggestions, redacted). */
  suggestions?: string[];
  /** The check crashed (a devenv bug) while checking or planning. */
  crashed?: boolean;
  /** Not run because the person pressed Ctrl-C at a question. */
  interrupted?: boolean;
  /** From the moment this fix could start (its prerequisites done) to its outcome: the look before, the plan, the steps and the re-check. */
  durationMs?: number;
  /**
   * The one verdict every reporter and the exit code use: true only when the
   * check is ok afterwards (or, in a dry run, when its plan is ready; or it does not apply here).
   */
  ok: boolean;
}

export interface FixOptions extends RunOptions {
  dryRun?: boolean;
  /** Run consent steps without asking. */
  yes?: boolean;
  /** Asks the user about a consent step; absent when there is nobody to ask. */
  confirm?: (check: Check, step: FixStep, plan: FixPlan) => Promise<boolean>;
  /** True once the person interrupted the run (Ctrl-C at a question): no step starts after that. */
  stopped?: () => boolean;
  /** Timeout for one fix plan (downloads and installs take longer than probes). */
  fixTimeoutMs?: number;
  /** `--revert`: the given checks' revert plans run instead of their fixes. */
  revert?: boolean;
  /**
   * Results of the check pass that chose these fixes, moments ago: a check
   * whose prerequisites were ok in that pass and still are (nothing was
   * changed under it) starts its fix from that result instead of running again.
   */
  known?: ReadonlyMap<string, TimedResult>;
}

const RANK: Record<string, number> = { fail: 0, warn: 1, ok: 2 };

/**
 * The classification of a fix that ran steps (or could not), decided here
 * and nowhere else.
 */
export function classifyFix(input: {
  before: TimedResult;
  after?: TimedResult;
  ranSteps: number;
  failure?: string;
  revert?: boolean;
}): { action: FixAction; ok: boolean } {
  const { before, after, ranSteps, failure } = input;
  const okAfter = after?.status === 'ok';
  if (input.revert) return { action: failure ? 'failed' : 'reverted', ok: !failure };
  if (failure) return { action: 'failed', ok: false };
  if (ranSteps === 0) return { action: 'manual', ok: okAfter };
  if (okAfter) return { action: 'fixed', ok: true };
  if (after && (RANK[after.status] ?? -1) > (RANK[before.status] ?? -1)) return { action: 'improved', ok: false };
  return { action: 'still-failing', ok: false };
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
      const needs = opts.revert ? [] : (check.needs ?? []).filter((n) => byId.has(n));
      const needOutcomes = await Promise.all(needs.map((n) => fixOne(byId.get(n)!)));
      const started = performance.now();
      const done = (o: FixOutcome) => {
        o.durationMs = Math.round(performance.now() - started);
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
        return done({ id: check.id, action: 'skipped', before, ok: false, message: `needs ${unmet.join(', ')}, which could not be fixed` });
      }
      if (waiting.length > 0) {
        // A dry run cannot know this plan before its prerequisites are really fixed.
        const before: TimedResult = { id: check.id, status: 'skip', summary: `needs ${waiting.join(', ')}`, durationMs: 0 };
        return done({ id: check.id, action: 'planned', before, ok: true, message: `planned after ${waiting.join(', ')} is fixed` });
      }
      // Nothing under this check changed since the pass only if every prerequisite was ok in the pass itself and still
      // is: one that is ok only now (its own prerequisite was fixed meanwhile) left this check's pass result stale.
      const unchanged = !opts.revert && needs.every((n, i) => needOutcomes[i].action === 'already-ok' && opts.known?.get(n)?.status === 'ok');
      const before = (unchanged ? opts.known?.get(check.id) : undefined) ?? (await runOneCheck(check, ctx.fresh(), opts.timeoutMs));
      opts.onEvent?.({ type: 'check-end', check, result: before });
      if (before.crashed) {
        return done({ id: check.id, action: 'failed', before, ok: false, crashed: true, message: before.summary });
      }
      const planOf = opts.revert ? check.revert : check.fix;
      if (!opts.revert) {
        if (before.status === 'ok') return done({ id: check.id, action: 'already-ok', before, ok: true });
        if (before.status === 'skip') return done({ id: check.id, action: 'skipped', before, ok: true, message: before.summary });
      }
      if (!planOf) {
        return done({ id: check.id, action: 'no-fixer', before, ok: false, message: before.hint ?? 'devenv has no automatic fix for this check' });
      }
      const built = await underTimeout(check, ctx, opts.timeoutMs, async (c) => planOf(c, before));
      if (built.timedOutMsg || built.error !== undefined) {
        const crashed = built.error !== undefined && !(built.error instanceof DevenvError);
        const msg = built.timedOutMsg ?? errorMessage(built.error);
        return done({
          id: check.id,
          action: 'failed',
          before,
          ok: false,
          ...(crashed ? { crashed: true } : {}),
          message: `${crashed ? 'crashed while planning the fix' : 'could not plan the fix'}: ${redact(msg, ctx.env)}`,
          ...(built.error instanceof DevenvError && built.error.suggestions.length ? { suggestions: built.error.suggestions.map((sg) => redact(sg, ctx.env)) } : {}),
        });
      }
      const raw: FixPlan = built.value!;
      // Descriptions are for display: never show a secret in them (a mirror URL with a password, a token).
      const plan: FixPlan = { ...raw, notes: raw.notes?.map((n) => redact(n, ctx.env)), steps: raw.steps.map((st) => ({ ...st, describe: redact(st.describe, ctx.env) })) };
      const manual = plan.steps.filter((st) => !st.run).map((st) => st.describe);
      if (plan.steps.length === 0) {
        if (opts.revert) return done({ id: check.id, action: 'reverted', before, ok: true, plan, message: NOTHING_TO_REVERT });
        return done({ id: check.id, action: 'no-fixer', before, ok: false, plan, message: plan.notes?.join(' ') || before.hint || 'devenv found nothing it can change for this' });
      }
      opts.onEvent?.({ type: 'fix-start', check, plan });
      if (manual.length === plan.steps.length) {
        // Only the person can do this: say exactly what, and never call it fixed.
        return done({ id: check.id, action: 'manual', before, ok: false, plan, needsYou: manual });
      }
      if (opts.dryRun) {
        return done({ id: check.id, action: 'planned', before, ok: true, plan, ...(manual.length ? { needsYou: manual } : {}) });
      }
      const interrupted = () => done({ id: check.id, action: 'declined', before, ok: false, plan, interrupted: true, message: 'not run: interrupted (Ctrl-C)' });
      if (opts.stopped?.()) return interrupted();
      // Consent first, for every step, so nothing runs half-way and then stops for a question.
      for (const step of plan.steps) {
        if (!step.consent || !step.run || opts.yes) continue;
        const yes = opts.confirm ? await opts.confirm(check, step, plan) : false;
        if (!yes && opts.stopped?.()) return interrupted();
        if (!yes) {
          return done({
            id: check.id,
            action: opts.confirm ? 'declined' : 'planned',
            before,
            ok: false,
            plan,
            message: opts.confirm ? `declined: ${step.describe}` : `needs consent to: ${step.describe} (re-run with --yes to allow it)`,
          });
        }
      }
      if (opts.stopped?.()) return interrupted();
      let failure: string | undefined;
      let ranSteps = 0;
      const suggestions: string[] = [];
      const runStep = async (c: Context, step: FixStep): Promise<string | undefined> => {
        opts.onEvent?.({ type: 'step-start', check, step });
        if (!step.run) {
          opts.onEvent?.({ type: 'step-end', check, step, skipped: 'do this yourself' });
          return undefined;
        }
        ranSteps++;
        try {
          await step.run(c);
          opts.onEvent?.({ type: 'step-end', check, step });
          return undefined;
        } catch (err) {
          const msg = redact(errorMessage(err), ctx.env);
          if (err instanceof DevenvError) for (const sg of err.suggestions) suggestions.push(redact(sg, ctx.env));
          opts.onEvent?.({ type: 'step-end', check, step, error: msg });
          return msg;
        }
      };
      const ran = await underTimeout(check, ctx, fixTimeout, async (c) => {
        if (plan.concurrent) {
          const errors = (await Promise.all(plan.steps.map((st) => runStep(c, st)))).filter((e): e is string => Boolean(e));
          if (errors.length > 0) failure = errors.join('; ');
          return;
        }
        for (const step of plan.steps) {
          failure = await runStep(c, step);
          if (failure) return;
        }
      });
      if (ran.timedOutMsg) failure = ran.timedOutMsg.replace('timed out after', 'fix timed out after');
      else if (ran.error !== undefined && !failure) failure = redact(errorMessage(ran.error), ctx.env);
      // The re-check is the check itself, even after a revert: report what is true now.
      const recheck = opts.revert ? { ...check, revert: undefined } : check;
      const after = await runOneCheck(recheck, ctx.fresh(), opts.timeoutMs);
      opts.onEvent?.({ type: 'check-end', check, result: after });
      const verdict = classifyFix({ before, after, ranSteps, failure, revert: opts.revert });
      const needsYou = !verdict.ok && manual.length ? { needsYou: manual } : {};
      const tips = failure && !verdict.ok && suggestions.length ? { suggestions: [...new Set(suggestions)] } : {};
      return done({ id: check.id, ...verdict, before, plan, after, ...needsYou, ...(failure ? { message: failure } : {}), ...tips });
    })();
    outcomes.set(check.id, p);
    return p;
  };
  return Promise.all(checks.map(fixOne));
}

export interface FixSummary {
  /** Every selected check is ok afterwards (or planned, in a dry run). */
  ok: boolean;
  counts: Partial<Record<FixAction, number>>;
  /** Checks still not ok, each with its action. */
  notOk: { id: string; action: FixAction }[];
  /** Checks that need the person, with what to do. */
  needsYou: { id: string; steps: string[] }[];
  crashed: string[];
}

/** The one summary of a fix run: reporters and the exit code read it. */
export function summarizeFixes(outcomes: readonly FixOutcome[]): FixSummary {
  const counts: Partial<Record<FixAction, number>> = {};
  for (const o of outcomes) counts[o.action] = (counts[o.action] ?? 0) + 1;
  return {
    ok: outcomes.every((o) => o.ok),
    counts,
    notOk: outcomes.filter((o) => !o.ok).map((o) => ({ id: o.id, action: o.action })),
    needsYou: outcomes.filter((o) => !o.ok && o.needsYou?.length).map((o) => ({ id: o.id, steps: o.needsYou! })),
    crashed: outcomes.filter((o) => o.crashed).map((o) => o.id),
  };
}
