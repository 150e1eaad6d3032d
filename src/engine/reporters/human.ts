/** Human output: spinners on a TTY, plain text otherwise (or with NO_COLOR). */
import { Chalk } from 'chalk';
import type { Ora } from 'ora';
import { CATEGORIES, fixKindOf, type Check, type Status, type TimedResult } from '../check.js';
import { summarizeFixes } from '../engine.js';
import { summarize, type Output, type Reporter } from './types.js';

const SYMBOL: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

export function humanReporter(out: Output, opts: { verbose?: boolean } = {}): Reporter {
  const c = new Chalk({ level: out.color ? 1 : 0 });
  const paint: Record<Status, (s: string) => string> = { ok: c.green, warn: c.yellow, fail: c.red, skip: c.gray };
  let spinner: Ora | undefined;
  // ora is loaded only on a terminal, in the background, so plain runs never pay for it.
  let makeSpinner: ((text: string) => Ora) | undefined;
  if (out.isTTY) {
    void import('ora').then(({ default: ora }) => {
      makeSpinner = (text) => ora({ text, stream: process.stderr, isEnabled: true, color: out.color ? 'cyan' : (false as never) }).start();
    });
  }
  const running = new Set<string>();
  let done = 0;
  let total = 0;

  const spin = (text: string) => {
    if (!out.isTTY) return;
    if (!spinner) spinner = makeSpinner?.(text);
    else spinner.text = text;
  };
  const stopSpin = () => {
    spinner?.stop();
    spinner = undefined;
  };

  const resultLine = (check: Check | undefined, r: TimedResult): string[] => {
    const title = check?.title ?? r.id;
    const parts: string[] = [];
    // "found" adds something only next to a requirement; alone, the summary already says it.
    if (r.found && r.required && r.status !== 'skip') parts.push(`found ${r.found}`);
    if (r.required) parts.push(`requires ${r.required}`);
    if (r.source) parts.push(`from ${r.source}`);
    const meta = parts.length ? c.dim(` (${parts.join('; ')})`) : '';
    const mark = r.crashed ? c.magenta('‼') : paint[r.status](SYMBOL[r.status]);
    const lines = [`  ${mark} ${c.bold(title)} ${c.dim(`[${r.id}]`)}: ${r.summary}${meta}${opts.verbose ? c.dim(` ${r.durationMs}ms`) : ''}`];
    if (r.hint && (r.status === 'fail' || r.status === 'warn')) lines.push(`      ${c.cyan('→')} ${r.hint}`);
    if (opts.verbose) for (const d of r.details ?? []) lines.push(c.dim(`      ${d}`));
    return lines;
  };

  const grouped = (checks: readonly Check[], results: readonly TimedResult[]): string[] => {
    const byId = new Map(checks.map((ch) => [ch.id, ch]));
    const lines: string[] = [];
    for (const cat of CATEGORIES) {
      const rs = results.filter((r) => byId.get(r.id)?.category === cat);
      if (rs.length === 0) continue;
      lines.push(c.bold(cat[0].toUpperCase() + cat.slice(1)));
      for (const r of rs) lines.push(...resultLine(byId.get(r.id), r));
    }
    return lines;
  };

  return {
    onEvent(e) {
      if (e.type === 'check-start') {
        total = Math.max(total, running.size + done + 1);
        running.add(e.check.title);
      } else if (e.type === 'check-end') {
        running.delete(e.check.title);
        done++;
      } else if (e.type === 'step-start') {
        spin(`${e.check.id}: ${e.step.describe}`);
        return;
      } else if (e.type === 'step-end') {
        stopSpin();
        const mark = e.error ? c.red('✗') : e.skipped ? c.gray('-') : c.green('✓');
        out.stderr(`  ${mark} ${e.check.id}: ${e.step.describe}${e.error ? `\n      ${c.red(e.error)}` : ''}${e.skipped ? c.dim(` (${e.skipped})`) : ''}\n`);
        return;
      } else {
        return;
      }
      if (running.size > 0) spin(`Checking: ${[...running].join(', ')}`);
      else stopSpin();
    },
    log(line) {
      if (spinner) spinner.text = line;
      else if (out.isTTY) out.stderr(c.dim(line) + '\n');
    },
    pause: stopSpin,
    doctor(meta, checks, results) {
      stopSpin();
      const lines: string[] = [];
      const where = meta.root ? `Istio checkout ${meta.root}${meta.project?.version ? ` (version ${meta.project.version})` : ''}` : 'not in an Istio checkout: repository checks skipped';
      lines.push(c.dim(`devenv ${meta.version} · ${where}`));
      if (meta.network) lines.push(c.dim(`network: ${meta.network.mode}; proxy: ${meta.network.proxy}`));
      lines.push('');
      lines.push(...grouped(checks, results), '');
      const s = summarize(results);
      const counts = `${s.ok} ok, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed, ${s.skip} skipped`;
      const byId = new Map(checks.map((ch) => [ch.id, ch]));
      const auto = results.filter((r) => fixKindOf(byId.get(r.id), r) === 'auto').map((r) => r.id);
      const manual = results.filter((r) => fixKindOf(byId.get(r.id), r) === 'manual').map((r) => r.id);
      const crashed = results.filter((r) => r.crashed).map((r) => r.id);
      const parts: string[] = [];
      if (s.fail === 0 && s.warn === 0) parts.push('Ready to build: make build');
      else {
        if (auto.length > 0) parts.push(`Next: devenv fix ${auto.join(' ')}  (or devenv fix --all --dry-run to see the plan)`);
        if (manual.length > 0) parts.push(`Needs you: ${manual.join(', ')} (devenv fix ${manual.join(' ')} shows exactly what to do)`);
        if (auto.length === 0 && manual.length === 0) parts.push('Next: follow the hints above, then run devenv doctor again');
      }
      lines.push(`${s.fail > 0 ? c.red(counts) : s.warn > 0 ? c.yellow(counts) : c.green(counts)}. ${parts.join('. ')}`);
      if (crashed.length > 0) {
        lines.push(c.magenta(`‼ devenv itself failed in: ${crashed.join(', ')}. That is a bug in devenv, not your machine: please report it with the output of \`devenv info\`.`));
      }
      out.stdout(lines.join('\n') + '\n');
    },
    fix(meta, checks, outcomes, o) {
      stopSpin();
      const byId = new Map(checks.map((ch) => [ch.id, ch]));
      const lines: string[] = [];
      for (const oc of outcomes) {
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
        switch (oc.action) {
          case 'fixed':
            lines.push(`${c.green('✓')} ${head}: fixed; re-check: ${after?.summary ?? ''}`);
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
            lines.push(`${c.cyan('↺')} ${head}: reverted${oc.message ? ` (${oc.message})` : ''}; the check now says: ${(after ?? oc.before).status}: ${(after ?? oc.before).summary}`);
            break;
          case 'skipped':
            lines.push(`${oc.ok ? c.gray('-') : c.red('✗')} ${head}: skipped: ${oc.message ?? oc.before.summary}`);
            break;
          case 'planned':
            lines.push(`${c.yellow('!')} ${head}: not run: ${oc.message ?? 'plan only'}`);
            for (const st of oc.plan?.steps ?? []) lines.push(`      $ ${st.describe}${st.consent ? c.dim(' [needs consent]') : ''}`);
            break;
          default:
            lines.push(`${oc.crashed ? c.magenta('‼') : c.red('✗')} ${head}: ${oc.action.replace('-', ' ')}${oc.message ? `: ${oc.message}` : ''}`);
            if (oc.crashed) lines.push('    This is a bug in devenv, not your machine: please report it with the output of `devenv info`.');
            if (after && after.status !== 'ok') lines.push(`    re-check: ${after.summary}`);
        }
      }
      const sum = summarizeFixes(outcomes);
      lines.push('');
      if (o.dryRun) lines.push('Dry run: nothing was changed. Run the same command without --dry-run to apply it.');
      else if (o.revert) {
        const failedReverts = outcomes.filter((x) => x.action !== 'reverted');
        lines.push(failedReverts.length === 0
          ? `Reverted: ${outcomes.map((x) => x.id).join(', ')}. Next: devenv doctor (devenv fix ${outcomes.map((x) => x.id).join(' ')} re-applies the fix)`
          : c.red(`Not reverted: ${failedReverts.map((x) => x.id).join(', ')}. Next: devenv doctor --verbose`));
      } else if (sum.ok && outcomes.length > 0) lines.push(c.green('All selected checks pass. Next: devenv doctor'));
      else if (outcomes.length === 0) lines.push('Nothing selected to fix.');
      else {
        const auto = sum.notOk.filter((n) => !sum.needsYou.some((m) => m.id === n.id) && n.action !== 'declined' && n.action !== 'planned');
        const msg = [`${sum.notOk.length} check${sum.notOk.length === 1 ? '' : 's'} still not ok: ${sum.notOk.map((n) => `${n.id} (${n.action})`).join(', ')}.`];
        if (sum.needsYou.length) msg.push(`Needs you: ${sum.needsYou.map((n) => n.id).join(', ')} (steps above).`);
        const consent = sum.notOk.filter((n) => n.action === 'planned').map((n) => n.id);
        if (consent.length) msg.push(`To allow what needs consent: devenv fix ${consent.join(' ')} --yes.`);
        msg.push(auto.length ? 'Next: devenv doctor --verbose' : 'Next: devenv doctor once you have done them');
        lines.push(c.red(msg.join(' ')));
      }
      out.stdout(lines.join('\n') + '\n');
      void meta;
    },
  };
}
