/**
 * Did-you-mean for command names: the closest known command ids to what was
 * typed, by edit distance (Levenshtein, O(n·m) over short strings) or as a prefix.
 */
import type { Config } from '@oclif/core';
import { redact } from '../platform/redact.js';

/** Edit distance between two short strings (insert, delete, substitute: 1 each). */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The command ids close to `typed` (both with ':' between words), prefixes first, then nearest:
 * within an edit distance of a quarter of its length (at least 2), or starting
 * with what was typed. Empty when nothing is close.
 */
export function closest(typed: string, ids: readonly string[], max = 3): string[] {
  const scored = [...new Set(ids)]
    .map((id) => ({ id, d: distance(typed, id), prefix: typed.length > 0 && id.startsWith(typed) }))
    .filter((s) => s.prefix || s.d <= Math.max(2, Math.floor(typed.length / 4)))
    .sort((x, y) => Number(y.prefix) - Number(x.prefix) || x.d - y.d || x.id.localeCompare(y.id));
  return scored.slice(0, max).map((s) => s.id);
}

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
