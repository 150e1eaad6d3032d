/** Shared command plumbing: output, reporters, and user errors without stack traces. */
import { Command, Errors, Flags } from '@oclif/core';
import { installSignalHandlers } from '../platform/cleanup.js';
import { DevenvError } from '../platform/errors.js';
import { redact } from '../platform/redact.js';
import { humanReporter } from '../engine/reporters/human.js';
import { jsonReporter } from '../engine/reporters/json.js';
import type { Output, Reporter } from '../engine/reporters/types.js';

export const commonFlags = {
  dir: Flags.directory({ char: 'C', summary: 'Run as if in this directory (finds the Istio checkout above it).', helpValue: 'PATH' }),
  config: Flags.file({ summary: 'Config file applied last (also DEVENV_CONFIG).', helpValue: 'FILE' }),
  json: Flags.boolean({ summary: 'Print one JSON object on stdout and nothing else.' }),
  timeout: Flags.integer({ summary: 'Per-check timeout in seconds (default 10, or checks.timeoutMs).', min: 1, helpValue: 'S' }),
  verbose: Flags.boolean({ char: 'v', summary: 'Show details and timings for every check.' }),
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

export function output(): Output {
  const isTTY = Boolean(process.stdout.isTTY && process.stderr.isTTY);
  const color = isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  // The last line of defence: whatever a reporter prints (text, --json, plans) loses URL credentials.
  return {
    stdout: (s) => process.stdout.write(redact(s, process.env)),
    stderr: (s) => process.stderr.write(redact(s, process.env)),
    isTTY,
    color,
  };
}

export function reporterFor(flags: { json?: boolean; verbose?: boolean }): Reporter {
  const out = output();
  return flags.json ? jsonReporter(out) : humanReporter(out, { verbose: flags.verbose });
}

export function splitIds(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
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

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof DevenvError) {
      const lines = [`Error: ${redact(err.message, process.env)}`];
      if (err.suggestions.length > 0) lines.push('Try this:', ...err.suggestions.map((s) => `  ${redact(s, process.env)}`));
      process.stderr.write(lines.join('\n') + '\n');
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof Errors.CLIError || (err as { oclif?: unknown }).oclif) {
      // oclif's own parse errors: unknown flag, bad value. Usage errors exit 2.
      const exit = err.oclif?.exit;
      // Keep the reason ("Parsing --timeout / Expected an integer but received: abc"), drop oclif's own help pointer.
      const reason = err.message
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^See more help with/.test(l))
        .join(': ');
      process.stderr.write(`Error: ${redact(reason, process.env)}\nSee: devenv ${this.id ?? ''} --help\n`);
      process.exitCode = typeof exit === 'number' && exit !== 1 ? exit : 2;
      return;
    }
    return super.catch(err);
  }
}
