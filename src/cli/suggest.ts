/**
 * Did-you-mean for command names: the closest known command ids to what was
 * typed (src/platform/closest.ts).
 */
import type { Config } from '@oclif/core';
import { closest } from '../platform/closest.js';
import { redact } from '../platform/redact.js';

const quote = (a: string) => (a === '' || /[^\w@%+=:,./-]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a);

/** The visible command ids (and aliases) of this CLI. */
export function commandIds(config: Pick<Config, 'commands'>): string[] {
  return config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...(c.aliases ?? [])]);
}

export interface NotFound {
  /** "doctr is not a devenv command." */
  message: string;
  /** Closest command ids, with ':' between words. */
  matches: string[];
  /** Commands to run instead (the closest with the same arguments), then `devenv help`. */
  suggestions: string[];
  /** The arguments for the closest command: words of the id that were not part of it, then argv. */
  rest: string[];
}

/**
 * The error for an unknown command id (words joined by ':', as oclif collates
 * them: `devenv doctr foo` is doctr:foo) and the arguments after it. When the
 * whole id is close to nothing, its leading words are tried (doctr, then the rest are arguments).
 */
export function notFound(config: Pick<Config, 'bin' | 'commands'>, id: string, argv: readonly string[]): NotFound {
  const bin = config.bin;
  const words = (i: string) => i.split(':').join(' ');
  const all = commandIds(config);
  const parts = id.split(':');
  let matches: string[] = [];
  let rest = [...argv];
  for (let k = parts.length; k > 0 && matches.length === 0 && !id.startsWith('-'); k--) {
    matches = closest(parts.slice(0, k).join(':'), all);
    rest = [...parts.slice(k), ...argv];
  }
  const args = rest.map(quote).join(' ');
  const suggestions = [...matches.map((m) => `${bin} ${words(m)}${args ? ` ${args}` : ''}`), `${bin} help`];
  const message = id.startsWith('-') ? `${id} is not a ${bin} command: put flags after the command (${bin} help lists them).` : `${words(id)} is not a ${bin} command.`;
  return { message, matches, rest, suggestions: suggestions.map((s) => redact(s, process.env)) };
}
