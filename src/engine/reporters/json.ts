/** `--json`: one stable object on stdout and nothing else. Schema documented in README. */
import { fixKindOf, type Check, type TimedResult } from '../check.js';
import { summarizeFixes, type FixOutcome } from '../engine.js';
import { summarize, type Output, type ReportMeta, type Reporter } from './types.js';

export function checkJson(check: Check | undefined, r: TimedResult) {
  return {
    id: r.id,
    title: check?.title ?? r.id,
    category: check?.category ?? null,
    status: r.status,
    summary: r.summary,
    found: r.found ?? null,
    required: r.required ?? null,
    source: r.source ?? null,
    fix: fixKindOf(check, r),
    fixable: fixKindOf(check, r) === 'auto',
    crashed: Boolean(r.crashed),
    hint: r.hint ?? null,
    details: r.details ?? [],
    durationMs: r.durationMs,
  };
}

export function doctorJson(meta: ReportMeta, checks: readonly Check[], results: readonly TimedResult[]) {
  const byId = new Map(checks.map((c) => [c.id, c]));
  return {
    devenv: meta.version,
    root: meta.root,
    project: meta.project,
    network: meta.network ?? null,
    config: meta.inEffect ? { files: meta.inEffect.configFiles, prefer: meta.inEffect.prefer, mirrors: { urls: meta.inEffect.urls, images: meta.inEffect.images } } : null,
    checks: results.map((r) => checkJson(byId.get(r.id), r)),
    summary: summarize(results),
  };
}

export function jsonReporter(out: Output): Reporter {
  // `doctor --fix --json`: the doctor object waits for the fixes, so stdout holds one object.
  let pendingDoctor: ReturnType<typeof doctorJson> | undefined;
  return {
    onEvent() {},
    log(line) {
      out.stderr(line + '\n');
    },
    hold() {},
    release() {},
    print() {},
    doctor(meta, checks, results, o) {
      const body = doctorJson(meta, checks, results);
      if (o?.following === 'fix') pendingDoctor = body;
      else out.stdout(JSON.stringify(body, null, 2) + '\n');
    },
    fix(meta, checks, outcomes, opts) {
      const byId = new Map(checks.map((c) => [c.id, c]));
      const body = {
        devenv: meta.version,
        root: meta.root,
        project: meta.project,
        dryRun: opts.dryRun,
        revert: opts.revert,
        fixes: outcomes.map((o: FixOutcome) => ({
          id: o.id,
          title: byId.get(o.id)?.title ?? o.id,
          action: o.action,
          ok: o.ok,
          crashed: Boolean(o.crashed),
          interrupted: Boolean(o.interrupted),
          message: o.message ?? null,
          suggestions: o.suggestions ?? [],
          needsYou: o.needsYou ?? [],
          notes: o.plan?.notes ?? [],
          steps: (o.plan?.steps ?? []).map((s) => ({
            kind: s.kind,
            describe: s.describe,
            command: s.command ?? null,
            consent: Boolean(s.consent),
            manual: !s.run,
            files: s.files ?? [],
          })),
          before: checkJson(byId.get(o.id), o.before),
          after: o.after ? checkJson(byId.get(o.id), o.after) : null,
          durationMs: o.durationMs ?? null,
        })),
        interrupted: Boolean(opts.interrupted),
        summary: fixSummaryJson(outcomes),
      };
      const whole = pendingDoctor ? { ...pendingDoctor, fix: body } : body;
      pendingDoctor = undefined;
      out.stdout(JSON.stringify(whole, null, 2) + '\n');
    },
  };
}

/** Counts per action plus the single verdict (`ok`) the exit code uses. */
export function fixSummaryJson(outcomes: readonly FixOutcome[]) {
  const sum = summarizeFixes(outcomes);
  return {
    ok: sum.ok,
    actions: sum.counts,
    notOk: sum.notOk.map((n) => n.id),
    needsYou: sum.needsYou,
    crashed: sum.crashed,
    fixed: sum.counts.fixed ?? 0,
    alreadyOk: sum.counts['already-ok'] ?? 0,
    failed: sum.notOk.length,
    planned: sum.counts.planned ?? 0,
  };
}

/** `--json` errors: the one object printed on stdout for a usage or config error (same exit code). */
export function errorJson(message: string, code: string, suggestions: readonly string[], exitCode: number) {
  return { error: { message, code, suggestions: [...suggestions], exitCode } };
}
