/** `--json`: one stable object on stdout and nothing else. Schema documented in README. */
import type { Check, TimedResult } from '../check.js';
import type { FixOutcome } from '../engine.js';
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
    fixable: Boolean(check?.fix) && (r.status === 'fail' || r.status === 'warn'),
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
    checks: results.map((r) => checkJson(byId.get(r.id), r)),
    summary: summarize(results),
  };
}

export function jsonReporter(out: Output): Reporter {
  return {
    onEvent() {},
    log(line) {
      out.stderr(line + '\n');
    },
    pause() {},
    doctor(meta, checks, results) {
      out.stdout(JSON.stringify(doctorJson(meta, checks, results), null, 2) + '\n');
    },
    fix(meta, checks, outcomes, opts) {
      const byId = new Map(checks.map((c) => [c.id, c]));
      const body = {
        devenv: meta.version,
        root: meta.root,
        project: meta.project,
        dryRun: opts.dryRun,
        fixes: outcomes.map((o: FixOutcome) => ({
          id: o.id,
          title: byId.get(o.id)?.title ?? o.id,
          action: o.action,
          message: o.message ?? null,
          notes: o.plan?.notes ?? [],
          steps: (o.plan?.steps ?? []).map((s) => ({
            kind: s.kind,
            describe: s.describe,
            command: s.command ?? null,
            consent: Boolean(s.consent),
            manual: !s.run,
          })),
          before: checkJson(byId.get(o.id), o.before),
          after: o.after ? checkJson(byId.get(o.id), o.after) : null,
        })),
        summary: {
          fixed: outcomes.filter((o) => o.action === 'fixed').length,
          alreadyOk: outcomes.filter((o) => o.action === 'already-ok').length,
          failed: outcomes.filter((o) => !['fixed', 'already-ok', 'planned'].includes(o.action)).length,
          planned: outcomes.filter((o) => o.action === 'planned').length,
        },
      };
      out.stdout(JSON.stringify(body, null, 2) + '\n');
    },
  };
}
