/**
 * What `devenv <unknown command>` does (dist/not-found.cjs, loaded only then):
 * says the command does not exist, names the closest ones, and exits 127 (the
 * shell's "command not found"). With --json that is one {"error": …} object on
 * stdout. Only with a person at a terminal (stdin and stdout TTYs, not CI, no
 * --json) it asks "Did you mean doctor?" and runs that command with the same
 * arguments on yes.
 */
import type { Config } from '@oclif/core';
import { errorJson } from '../engine/reporters/json.js';
import { askConfirm } from '../engine/reporters/prompts.js';
import { EXIT_INTERRUPTED } from '../engine/run.js';
import { interactive } from './base.js';
import { notFound } from './suggest.js';

export const EXIT_NOT_FOUND = 127;

/** Prints the error (stderr, or JSON on stdout), sets the exit code; on a terminal, offers to run the closest command. */
export async function commandNotFound(config: Config, id: string, argv: string[]): Promise<unknown> {
  const json = id === '--json' || argv.includes('--json');
  const nf = notFound(config, id, argv);
  if (json) {
    process.stdout.write(JSON.stringify(errorJson(nf.message, 'not_found', nf.suggestions, EXIT_NOT_FOUND), null, 2) + '\n');
    process.exitCode = EXIT_NOT_FOUND;
    return undefined;
  }
  process.stderr.write(`Error: ${nf.message}\n`);
  const [best] = nf.matches;
  if (best && interactive({ json })) {
    try {
      if (await askConfirm(`Did you mean ${best.split(':').join(' ')}?`)) return await config.runCommand(best, nf.rest);
    } catch (error) {
      if ((error as Error).name !== 'Interrupted') throw error;
      process.stderr.write('Interrupted (Ctrl-C): nothing was run.\n');
      process.exitCode = EXIT_INTERRUPTED;
      return undefined;
    }
  } else if (nf.matches.length > 0) {
    process.stderr.write(`Did you mean ${nf.matches.map((m) => m.split(':').join(' ')).join(', or ')}?\n`);
  }
  process.stderr.write(['Try this:', ...nf.suggestions.map((s) => `  ${s}`)].join('\n') + '\n');
  process.exitCode = EXIT_NOT_FOUND;
  return undefined;
}
