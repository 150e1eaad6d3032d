/** Shared command plumbing: output, reporters, and user errors without stack traces. */
import { Command, Errors, Flags } from '@oclif/core';
import { installSignalHandlers } from '../platform/cleanup.js';
import { DevenvError, ConfigError, UsageError } from '../platform/errors.js';
import { redact } from '../platform/redact.js';
import { humanReporter } from '../engine/reporters/human.js';
import { errorJson, jsonReporter } from '../engine/reporters/json.js';
import { terminalWidth } from '../engine/reporters/layout.js';
import { createAsker } from '../engine/reporters/prompts.js';
import type { Output, Reporter } from '../engine/reporters/types.js';
import { EXIT_INTERRUPTED, type FixHooks } from '../engine/run.js';

/** --timeout: whole seconds, at least 1; the error says what is allowed. */
const timeoutFlag = Flags.custom<number>({
  summary: 'Per-check timeout in seconds, a whole number ≥ 1 (default 10, or checks.timeoutMs).',
  helpValue: 'SECONDS',
  parse: async (input) => {
    const n = Number(input);
    if (!/^\d+$/.test(input.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new Error(`--timeout must be a whole number of seconds, 1 or more (got "${input}"), e.g. --timeout 30`);
    }
    return n;
  },
});

export const commonFlags = {
  dir: Flags.directory({ char: 'C', summary: 'Run as if in this directory (finds the Istio checkout above it).', helpValue: 'PATH' }),
  config: Flags.file({ summary: 'Config file applied last (also DEVENV_CONFIG).', helpValue: 'FILE' }),
  json: Flags.boolean({ summary: 'Print one JSON object on stdout and nothing else (errors too: {"error": …}).' }),
  timeout: timeoutFlag(),
  verbose: Flags.boolean({ char: 'v', summary: 'Also show every check\'s details, source and duration, and whole tool errors.', exclusive: ['quiet'] }),
  quiet: Flags.boolean({ char: 'q', summary: 'Print only problems (nothing when all is well; the exit code still tells).', exclusive: ['verbose'] }),
};

/** --offline for doctor and fix: contact no host at all (also config network.offline). */
export const offlineFlag = Flags.boolean({ summary: 'Contact no host at all: downloads come from the cache or fail (also network.offline).' });

export const PROFILES = ['build', 'cluster', 'pilot-local', 'network', 'all'];

/**
 * `--profile all` means every profile except `network`, which contacts hosts
 * outside the machine and so only runs when named.
 */
export function expandProfiles(profiles: string[] | undefined): string[] | undefined {
  if (!profiles?.includes('all')) return profiles;
  return [...new Set([...PROFILES.filter((p) => p !== 'all' && p !== 'network'), ...profiles.filter((p) => p === 'network')])];
}

/** Check ids, comma-separated or repeated: `--only go-version,fpm` or `--only go-version --only fpm`. */
export const onlyFlag = Flags.string({
  summary: 'Run only these check ids, comma-separated or repeated; their prerequisites run too.',
  multiple: true,
  helpValue: 'ID[,ID...]',
});

export function output(): Output {
  const isTTY = Boolean(process.stdout.isTTY && process.stderr.isTTY);
  const color = isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  // The last line of defence: whatever a reporter prints (text, --json, plans) loses URL credentials.
  const columns = process.stdout.columns || process.stderr.columns;
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  return {
    stdout: (s) => process.stdout.write(redact(s, process.env)),
    stderr: (s) => process.stderr.write(redact(s, process.env)),
    isTTY,
    color,
    width: isTTY ? terminalWidth(columns) : null,
    // A spinner redraws in place: only where the width is known (0 columns made ora redraw forever) and not in CI logs.
    live: isTTY && !ci && Boolean(columns && columns >= 20) && process.env.TERM !== 'dumb',
  };
}

/** May devenv ask questions? Only with a person at a terminal: stdin and stdout TTYs, not CI, not --json. */
export function interactive(flags: { json?: boolean }): boolean {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !ci && !flags.json;
}

export function reporterFor(flags: { json?: boolean; verbose?: boolean; quiet?: boolean }): Reporter {
  const out = output();
  return flags.json ? jsonReporter(out) : humanReporter(out, { verbose: flags.verbose, quiet: flags.quiet });
}

/** The question hooks for fixes: one question at a time (a queue), none without a terminal. */
export function fixHooks(reporter: Reporter, flags: { json?: boolean; yes?: boolean; 'dry-run'?: boolean }): FixHooks {
  const hooks: FixHooks = { yes: flags.yes, dryRun: flags['dry-run'] };
  if (!interactive(flags)) return hooks;
  const asker = createAsker(reporter, output().width ?? 80);
  return {
    ...hooks,
    pick: (choices) => asker.pick(choices),
    confirm: (check, step, plan) => {
      const consentSteps = plan.steps.filter((s) => s.consent && s.run);
      return asker.consent(check, step, { index: plan.steps.indexOf(step) + 1, total: plan.steps.length, notes: consentSteps[0] === step ? plan.notes : undefined });
    },
    interrupted: () => asker.interrupted,
  };
}

export function splitIds(values: string[] | undefined, flag = '--only'): string[] | undefined {
  if (!values) return undefined;
  const ids = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  // `--only ""` (an unset shell variable) is not "every check"
  if (ids.length === 0) throw new UsageError(`${flag} needs at least one check id`, ['devenv checks   (lists every id)']);
  return ids;
}

/** oclif's parse errors, said plainly: what is wrong and what is allowed, without "Parsing --x" noise. */
export function flagErrorMessage(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l && !/^See more help with/.test(l));
  if (/^The following errors occurred:?$/.test(lines[0] ?? '')) {
    // oclif's exclusive flags, one line per side ("--quiet=true cannot also be provided when using --verbose"): once per pair
    const said = new Set<string>();
    const out: string[] = [];
    for (const l of lines.slice(1)) {
      const x = /^(--[\w-]+)(?:=\S*)? cannot also be provided when using (--[\w-]+)$/.exec(l);
      const text = x ? `${[x[1], x[2]].sort().join(' and ')} cannot be used together` : l;
      const key = x ? [x[1], x[2]].sort().join(' ') : l;
      if (!said.has(key)) out.push(text);
      said.add(key);
    }
    if (out.length > 0) return out.join('; ');
  }
  const m = /^Parsing (--[\w-]+)$/.exec(lines[0] ?? '');
  if (m && lines.length > 1) {
    const rest = lines.slice(1).join(' ');
    return rest.startsWith(m[1]) ? rest : `${m[1]}: ${rest}`;
  }
  return lines.join(' ');
}

export abstract class BaseCommand extends Command {
  /** Ctrl-C / SIGTERM / SIGHUP: run registered cleanups (restore vendor/, stop subprocess trees), then exit 128+n. */
  override async init(): Promise<void> {
    await super.init();
    installSignalHandlers(
      (code) => process.exit(code),
      (line) => process.stderr.write(line + '\n'),
    );
  }

  private wantsJson(): boolean {
    return this.argv.includes('--json');
  }

  private fail(message: string, code: string, suggestions: string[], exitCode: number): void {
    if (this.wantsJson()) process.stdout.write(JSON.stringify(errorJson(message, code, suggestions, exitCode), null, 2) + '\n');
    else {
      const lines = [`Error: ${message}`];
      if (suggestions.length > 0) lines.push('Try this:', ...suggestions.map((s) => `  ${s}`));
      process.stderr.write(lines.join('\n') + '\n');
    }
    process.exitCode = exitCode;
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    const clean = (s: string) => redact(s, process.env);
    if (err.name === 'Interrupted' || err.name === 'ExitPromptError') {
      // Ctrl-C at a question: a clean end, as a shell reports an interrupted command.
      if (this.wantsJson()) this.fail('interrupted (Ctrl-C)', 'interrupted', [], EXIT_INTERRUPTED);
      else {
        process.stderr.write('\nInterrupted (Ctrl-C): nothing more was done.\n');
        process.exitCode = EXIT_INTERRUPTED;
      }
      return;
    }
    if (/^Parsing --[\w-]+ *\n/.test(err.message)) {
      // A flag's own parse function refused the value: say what is wrong and what is allowed.
      this.fail(clean(flagErrorMessage(err.message)), 'usage', [`devenv ${this.id ?? ''} --help`.replace('  ', ' ')], 2);
      return;
    }
    if (err instanceof DevenvError) {
      const code = err instanceof ConfigError ? 'config' : err instanceof UsageError ? 'usage' : 'error';
      this.fail(clean(err.message), code, err.suggestions.map(clean), err.exitCode);
      return;
    }
    if (err instanceof Errors.CLIError || (err as { oclif?: unknown }).oclif) {
      // oclif's own parse errors: unknown flag, bad value. Usage errors exit 2.
      const exit = err.oclif?.exit;
      if (exit === 0) return super.catch(err);
      this.fail(clean(flagErrorMessage(err.message)), 'usage', [`devenv ${this.id ?? ''} --help`.replace('  ', ' ')], typeof exit === 'number' && exit !== 1 ? exit : 2);
      return;
    }
    return super.catch(err);
  }
}
