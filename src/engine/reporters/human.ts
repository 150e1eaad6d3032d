/**
 * Human output. Every line is wrapped to the terminal's width (80 when unknown
 * or 0) at word boundaries with a hanging indent. A spinner is drawn only on a
 * TTY that reports its width and is not CI; otherwise progress is occasional
 * plain lines. Notes (mirror used, unverified upstream) are always printed.
 * Outcomes and verdicts come from the engine (FixOutcome.action/ok,
 * summarizeFixes, fixKindOf): this file only lays them out.
 */
import { Chalk } from 'chalk';
import type { Ora } from 'ora';
import { CATEGORIES, fixKindOf, type Check, type Status, type TimedResult } from '../check.js';
import { NOTHING_TO_REVERT, summarizeFixes, type FixOutcome } from '../engine.js';
import { clip, dedupe, DEFAULT_WIDTH, truncate, wrapBlock } from './layout.js';
import { summarize, type InEffect, type Output, type Reporter, type ReportMeta } from './types.js';

const SYMBOL: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

/** `label: 12.0 MiB of 40.0 MiB, …` as download.ts's progressLogger writes it. */
const PROGRESS = /^([^:]{1,80}): ([\d.]+) (B|KiB|MiB|GiB)(?: of ([\d.]+) (B|KiB|MiB|GiB))?(?:,|$)/;
const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

export interface HumanOptions {
  verbose?: boolean;
  quiet?: boolean;
  /** Minimum time between two plain progress lines of one transfer (default 5 s). */
  progressEveryMs?: number;
}

export function humanReporter(out: Output, opts: HumanOptions = {}): Reporter {
  const c = new Chalk({ level: out.color ? 1 : 0 });
  const paint: Record<Status, (s: string) => string> = { ok: c.green, warn: c.yellow, fail: c.red, skip: c.gray };
  const width = out.width ?? DEFAULT_WIDTH;
  const wrap = (lines: string[]) => (out.width === null ? lines.flatMap((l) => l.split('\n')) : wrapBlock(lines, out.width));
  const writeOut = (lines: string[]) => out.stdout(wrap(lines).join('\n') + '\n');
  const writeErr = (lines: string[]) => {
    if (held) kept.push(...lines);
    else out.stderr(wrap(lines).join('\n') + '\n');
  };

  let spinner: Ora | undefined;
  let spinText = '';
  // ora is loaded only when a spinner can be drawn, in the background, so plain runs never pay for it.
  let makeSpinner: ((text: string) => Ora) | undefined;
  if (out.live) {
    void import('ora').then(({ default: ora }) => {
      // discardStdin: false — a spinner must never read or swallow what the person types (a `y` for a question).
      makeSpinner = (text) => ora({ text, stream: process.stderr, isEnabled: true, discardStdin: false, color: out.color ? 'cyan' : (false as never) }).start();
    });
  }
  const running = new Set<string>();
  let held = false;
  const kept: string[] = [];
  const lastProgress = new Map<string, { at: number; tenth: number }>();
  const everyMs = opts.progressEveryMs ?? 5000;

  const spin = (text: string) => {
    spinText = text;
    if (!out.live || held) return;
    const t = truncate(text, width - 3);
    if (!spinner) spinner = makeSpinner?.(t);
    else spinner.text = t;
  };
  const stopSpin = () => {
    spinner?.stop();
    spinner = undefined;
  };
  /** A persistent line while a spinner may be running: clear it, print, draw it again. */
  const persist = (lines: string[]) => {
    if (held) {
      kept.push(...lines);
      return;
    }
    const had = spinner !== undefined;
    stopSpin();
    writeErr(lines);
    if (had && spinText) spin(spinText);
  };

  /** Plain (no spinner) progress: the first line of a transfer, then every 10 % or every 5 s, and the last. */
  const progressDue = (line: string): boolean => {
    const m = PROGRESS.exec(line);
    if (!m) return true;
    const label = m[1];
    const bytes = Number(m[2]) * UNIT[m[3]];
    const total = m[4] ? Number(m[4]) * UNIT[m[5]] : undefined;
    const tenth = total ? Math.floor((bytes / total) * 10) : -1;
    const prev = lastProgress.get(label);
    const now = Date.now();
    const due = !prev || (total !== undefined && bytes >= total) || now - prev.at >= everyMs || (tenth > prev.tenth && tenth >= 0);
    if (due) lastProgress.set(label, { at: now, tenth });
    return due;
  };

  const resultLines = (check: Check | undefined, r: TimedResult): string[] => {
    const title = check?.title ?? r.id;
    const notOk = r.status === 'fail' || r.status === 'warn' || r.crashed;
    const mark = r.crashed ? c.magenta('‼') : paint[r.status](SYMBOL[r.status]);
    // found vs required when both are known; otherwise the summary says what is true.
    const both = r.found && r.required && r.status !== 'skip';
    const what = both ? `${r.found} ${c.dim(`(requires ${r.required})`)}` : r.summary;
    const time = opts.verbose ? c.dim(` ${r.durationMs}ms`) : '';
    const lines = [`  ${mark} ${c.bold(title)} ${c.dim(`[${r.id}]`)}: ${what}${time}`];
    if (!notOk && !opts.verbose) return lines;
    if (both) {
      const s = opts.verbose ? { text: r.summary, rest: 0 } : clip(r.summary, { maxLines: 2 });
      lines.push(`      ${s.text}${s.rest ? c.dim(` (${s.rest} more line${s.rest === 1 ? '' : 's'}: --verbose)`) : ''}`);
    } else if (!opts.verbose) {
      // The summary is already on the line; a long one was cut there by wrapping, never repeated.
    }
    if (r.source) lines.push(c.dim(`      from ${r.source}`));
    if (r.hint && notOk) lines.push(`      ${c.cyan('→')} ${r.hint}`);
    if (opts.verbose) for (const d of dedupe(r.details ?? [])) lines.push(c.dim(`      ${d}`));
    return lines;
  };

  const header = (meta: ReportMeta): string[] => {
    const where = meta.root ? `Istio checkout ${meta.root}${meta.project?.version ? ` (version ${meta.project.version})` : ''}` : 'not in an Istio checkout: repository checks skipped';
    const lines = [c.dim(`devenv ${meta.version} · ${where}`)];
    if (meta.network) lines.push(c.dim(`network: ${meta.network.mode}; proxy: ${meta.network.proxy}`));
    if (meta.inEffect) lines.push(...inEffectLines(meta.inEffect).map((l) => c.dim(l)));
    return lines;
  };

  const grouped = (checks: readonly Check[], results: readonly TimedResult[]): string[] => {
    const byId = new Map(checks.map((ch) => [ch.id, ch]));
    const lines: string[] = [];
    const shown = opts.quiet ? results.filter((r) => r.status === 'fail' || r.status === 'warn' || r.crashed) : results;
    for (const cat of CATEGORIES) {
      const rs = shown.filter((r) => byId.get(r.id)?.category === cat);
      if (rs.length === 0) continue;
      if (!opts.quiet) lines.push(c.bold(cat[0].toUpperCase() + cat.slice(1)));
      for (const r of rs) lines.push(...resultLines(byId.get(r.id), r));
    }
    return lines;
  };

  // Without a spinner, a check that takes long shows up as a plain line every 5 s (never one per event).
  let still: NodeJS.Timeout | undefined;
  const stillChecking = () => {
    if (out.live || opts.quiet) return;
    if (running.size === 0) {
      if (still) clearInterval(still);
      still = undefined;
    } else if (!still) {
      still = setInterval(() => {
        if (running.size > 0) writeErr([c.dim(`… still checking: ${[...running].join(', ')}`)]);
      }, everyMs);
      still.unref();
    }
  };

  return {
    onEvent(e) {
      if (e.type === 'check-start') {
        running.add(e.check.title);
        stillChecking();
      } else if (e.type === 'check-end') {
        running.delete(e.check.title);
        stillChecking();
      } else if (e.type === 'step-start') {
        if (out.live) spin(`${e.check.id}: ${e.step.describe}`);
        else if (!opts.quiet) writeErr([`  … ${e.check.id}: ${e.step.describe}`]);
        return;
      } else if (e.type === 'step-end') {
        const mark = e.error ? c.red('✗') : e.skipped ? c.gray('-') : c.green('✓');
        // The error itself is printed once, in the summary of this fix.
        const why = e.error ? c.red(' (failed: see below)') : e.skipped ? c.dim(` (${e.skipped})`) : '';
        if (!opts.quiet || e.error) persist([`  ${mark} ${e.check.id}: ${e.step.describe}${why}`]);
        spinText = '';
        if (!held) stopSpin();
        return;
      } else {
        return;
      }
      if (running.size > 0) spin(`Checking: ${[...running].join(', ')}`);
      else {
        spinText = '';
        stopSpin();
      }
    },
    log(line) {
      const isProgress = PROGRESS.test(line);
      if (out.live && isProgress) {
        spin(line);
        return;
      }
      if (isProgress && (opts.quiet || !progressDue(line))) return;
      persist([c.dim(line)]);
    },
    hold() {
      held = true;
      stopSpin();
    },
    release() {
      held = false;
      const lines = kept.splice(0);
      if (lines.length) out.stderr(wrap(lines).join('\n') + '\n');
      if (spinText) spin(spinText);
    },
    print(lines) {
      writeOut(lines);
    },
    doctor(meta, checks, results) {
      stopSpin();
      const s = summarize(results);
      const problems = s.fail + s.warn > 0 || results.some((r) => r.crashed);
      if (opts.quiet && !problems) return;
      const lines: string[] = [];
      if (!opts.quiet) lines.push(...header(meta), '');
      lines.push(...grouped(checks, results));
      if (!opts.quiet) lines.push('');
      const counts = `${s.ok} ok, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed, ${s.skip} skipped`;
      const byId = new Map(checks.map((ch) => [ch.id, ch]));
      const auto = results.filter((r) => fixKindOf(byId.get(r.id), r) === 'auto').map((r) => r.id);
      const manual = results.filter((r) => fixKindOf(byId.get(r.id), r) === 'manual').map((r) => r.id);
      const crashed = results.filter((r) => r.crashed).map((r) => r.id);
      const parts: string[] = [];
      if (s.fail === 0 && s.warn === 0) parts.push(meta.partial ? `The selected checks pass (${meta.partial})` : 'Ready to build: make build');
      else {
        if (auto.length > 0) parts.push(`Next: devenv fix ${auto.join(' ')} (or devenv doctor --fix; devenv fix --all --dry-run shows the plan)`);
        if (manual.length > 0) parts.push(`Needs you: ${manual.join(', ')} (devenv fix ${manual.join(' ')} shows exactly what to do)`);
        if (auto.length === 0 && manual.length === 0) parts.push('Next: follow the hints above, then run devenv doctor again');
      }
      lines.push(`${s.fail > 0 ? c.red(counts) : s.warn > 0 ? c.yellow(counts) : c.green(counts)}. ${parts.join('. ')}`);
      if (crashed.length > 0) {
        lines.push(c.magenta(`‼ devenv itself failed in: ${crashed.join(', ')}. That is a bug in devenv, not your machine: please report it with the output of \`devenv info\`.`));
      }
      writeOut(lines);
    },
    fix(meta, checks, outcomes, o) {
      stopSpin();
      const byId = new Map(checks.map((ch) => [ch.id, ch]));
      const lines: string[] = [];
      const failure = (msg: string) => {
        const k = opts.verbose ? { text: clip(msg, { maxLines: 1000, maxChars: 1e6 }).text, rest: 0, cut: false } : clip(msg);
        const more = k.rest ? `${k.rest} more line${k.rest === 1 ? '' : 's'}: --verbose` : k.cut ? 'cut short: --verbose shows all of it' : '';
        return [...k.text.split('\n').map((l) => `    ${l}`), ...(more ? [c.dim(`    (${more})`)] : [])];
      };
      for (const oc of outcomes) {
        if (opts.quiet && oc.ok) continue;
        const title = byId.get(oc.id)?.title ?? oc.id;
        const head = `${c.bold(title)} ${c.dim(`[${oc.id}]`)}`;
        if (oc.action === 'already-ok') {
          lines.push(`${c.green('✓')} ${head}: nothing to do (${oc.before.summary})`);
          continue;
        }
        if (o.dryRun && oc.action === 'manual') {
          lines.push(`${c.yellow('!')} ${head}: needs you (${oc.before.summary})`);
          for (const st of oc.needsYou ?? []) lines.push(`      $ ${st}`);
          continue;
        }
        if (o.dryRun && oc.action === 'planned' && !oc.plan) {
          lines.push(`${c.cyan('»')} ${head}: ${oc.message ?? 'planned'}`);
          continue;
        }
        if (o.dryRun && oc.plan) {
          lines.push(`${c.cyan('»')} ${head}: would fix (${oc.before.summary})`);
          for (const n of oc.plan.notes ?? []) lines.push(c.dim(`    note: ${n}`));
          oc.plan.steps.forEach((s, i) => {
            const tags = [s.consent ? 'needs consent' : '', s.run ? '' : 'manual'].filter(Boolean).join(', ');
            lines.push(`    ${i + 1}. ${s.describe}${tags ? c.dim(` [${tags}]`) : ''}`);
          });
          continue;
        }
        const after = oc.after;
        const doYourself = (steps: string[] | undefined, lead: string) => {
          if (!steps?.length) return;
          lines.push(`    ${lead}`);
          for (const st of steps) lines.push(`      $ ${st}`);
        };
        if (!oc.ok) for (const n of oc.plan?.notes ?? []) if (oc.action !== 'planned' && oc.action !== 'declined') lines.push(c.dim(`    note: ${n}`));
        switch (oc.action) {
          case 'fixed':
            lines.push(`${c.green('✓')} ${head}: fixed; re-check: ${after?.summary ?? ''}`);
            for (const n of oc.plan?.notes ?? []) lines.push(c.dim(`    note: ${n}`));
            break;
          case 'improved':
            lines.push(`${c.yellow('!')} ${head}: improved but not ok; re-check: ${after?.summary ?? ''}`);
            doYourself(oc.needsYou, 'what remains, for you to do:');
            if (after?.hint) lines.push(`    → ${after.hint}`);
            break;
          case 'manual':
            lines.push(`${c.yellow('!')} ${head}: needs you; devenv ran nothing (${oc.before.summary})`);
            doYourself(oc.needsYou, 'do this, then run devenv doctor:');
            break;
          case 'still-failing':
            lines.push(`${c.red('✗')} ${head}: steps ran but the re-check still says: ${after?.summary ?? ''}`);
            doYourself(oc.needsYou, 'do these yourself, then run devenv doctor:');
            if (after?.hint) lines.push(`    → ${after.hint}`);
            break;
          case 'reverted':
            if (oc.message === NOTHING_TO_REVERT) lines.push(`${c.gray('-')} ${head}: nothing to revert (no change of devenv's is recorded here); the check says: ${(after ?? oc.before).status}: ${(after ?? oc.before).summary}`);
            else lines.push(`${c.cyan('↺')} ${head}: reverted${oc.message ? ` (${oc.message})` : ''}; the check now says: ${(after ?? oc.before).status}: ${(after ?? oc.before).summary}`);
            break;
          case 'skipped':
            lines.push(`${oc.ok ? c.gray('-') : c.red('✗')} ${head}: skipped: ${oc.message ?? oc.before.summary}`);
            break;
          case 'declined':
            lines.push(`${c.yellow('-')} ${head}: ${oc.interrupted ? 'not run: interrupted (Ctrl-C)' : `you declined: ${oc.message?.replace(/^declined: /, '') ?? ''}`}; nothing of this fix ran`);
            break;
          case 'planned':
            lines.push(`${c.yellow('!')} ${head}: not run: ${oc.message ?? 'plan only'}`);
            for (const st of oc.plan?.steps ?? []) lines.push(`      $ ${st.describe}${st.consent ? c.dim(' [needs consent]') : ''}`);
            break;
          default:
            lines.push(`${oc.crashed ? c.magenta('‼') : c.red('✗')} ${head}: ${oc.action.replace('-', ' ')}${oc.message ? ':' : ''}`);
            if (oc.message) lines.push(...failure(oc.message));
            for (const sg of oc.suggestions ?? []) lines.push(`    → ${sg}`);
            if (oc.crashed) lines.push('    This is a bug in devenv, not your machine: please report it with the output of `devenv info`.');
            if (after && after.status !== 'ok') lines.push(`    re-check: ${clip(after.summary, { maxLines: 1 }).text}`);
        }
      }
      const sum = summarizeFixes(outcomes);
      if (lines.length) lines.push('');
      if (o.interrupted && outcomes.length === 0) lines.push(c.yellow('Interrupted (Ctrl-C) at the checklist: nothing was changed.'));
      else if (o.interrupted) {
        const done = outcomes.filter((x) => ['fixed', 'improved', 'still-failing', 'failed'].includes(x.action) && x.after);
        const notDone = outcomes.filter((x) => x.action === 'declined' || x.action === 'planned');
        lines.push(c.yellow(`Interrupted (Ctrl-C). Done: ${done.length ? done.map((x) => `${x.id} (${x.action})`).join(', ') : 'nothing changed'}. Not done: ${notDone.length ? notDone.map((x) => x.id).join(', ') : 'nothing'}. Next: devenv doctor`));
      } else if (o.dryRun) lines.push('Dry run: nothing was changed. Run the same command without --dry-run to apply it.');
      else if (o.revert) {
        const failedReverts = outcomes.filter((x) => x.action !== 'reverted');
        const undone = outcomes.filter((x) => x.action === 'reverted' && x.message !== NOTHING_TO_REVERT).map((x) => x.id);
        const untouched = outcomes.filter((x) => x.action === 'reverted' && x.message === NOTHING_TO_REVERT).map((x) => x.id);
        const parts = [
          ...(undone.length ? [`Reverted: ${undone.join(', ')}.`] : []),
          ...(untouched.length ? [`Nothing to revert: ${untouched.join(', ')}.`] : []),
          undone.length ? `Next: devenv doctor (devenv fix ${undone.join(' ')} re-applies the fix)` : 'Nothing was changed.',
        ];
        lines.push(failedReverts.length === 0 ? parts.join(' ') : c.red(`Not reverted: ${failedReverts.map((x) => x.id).join(', ')}. Next: devenv doctor --verbose`));
      } else if (sum.ok && outcomes.length > 0) {
        if (!opts.quiet) lines.push(c.green('All selected checks pass. Next: devenv doctor'));
      } else if (outcomes.length === 0) {
        if (!opts.quiet) lines.push('Nothing selected to fix.');
      } else {
        const auto = sum.notOk.filter((n) => !sum.needsYou.some((m) => m.id === n.id) && n.action !== 'declined' && n.action !== 'planned');
        const msg = [`${sum.notOk.length} check${sum.notOk.length === 1 ? '' : 's'} still not ok: ${sum.notOk.map((n) => `${n.id} (${n.action})`).join(', ')}.`];
        if (sum.needsYou.length) msg.push(`Needs you: ${sum.needsYou.map((n) => n.id).join(', ')} (steps above).`);
        const consent = sum.notOk.filter((n) => n.action === 'planned').map((n) => n.id);
        if (consent.length) msg.push(`To allow what needs consent: devenv fix ${consent.join(' ')} --yes.`);
        msg.push(auto.length ? 'Next: devenv doctor --verbose' : 'Next: devenv doctor once you have done them');
        lines.push(c.red(msg.join(' ')));
      }
      if (lines.length) writeOut(lines);
      void meta;
    },
  };
}

/** The header lines that say what is in effect: config files read and mirror rules. */
export function inEffectLines(e: InEffect): string[] {
  const lines = [`config: ${e.configFiles.length ? e.configFiles.join(', ') : 'none (defaults)'}`];
  const urls = Object.entries(e.urls).map(([from, to]) => `${from} → ${to}`);
  const images = Object.entries(e.images).map(([from, to]) => `${from} → ${to}${e.defaultImages[from] === to ? ' (default)' : ''}`);
  lines.push(`mirrors (${e.prefer} first): ${[...urls, ...images].join('; ') || 'none'}`);
  const sources = Object.entries(e.sources).map(([k, v]) => `${k} ${v}`);
  if (sources.length) lines.push(`sources: ${sources.join('; ')}`);
  return lines;
}

export type { FixOutcome };
