/**
 * Did-you-mean: the known names closest to what was typed, by edit distance
 * (Levenshtein, O(n·m) over short strings) or as a prefix. Used for command
 * names (src/cli/suggest.ts), check ids (src/engine/engine.ts) and config keys
 * (src/platform/config.ts).
 */

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
 * The names close to `typed` (command ids, check ids, config keys), prefixes first, then nearest:
 * within an edit distance of a quarter of its length (at least 2, and less than
 * its whole length), or starting with what was typed. Empty when nothing is close.
 */
export function closest(typed: string, ids: readonly string[], max = 3): string[] {
  const scored = [...new Set(ids)]
    .map((id) => ({ id, d: distance(typed, id), prefix: typed.length > 0 && id.startsWith(typed) }))
    .filter((s) => s.prefix || (s.d <= Math.max(2, Math.floor(typed.length / 4)) && s.d < typed.length))
    .sort((x, y) => Number(y.prefix) - Number(x.prefix) || x.d - y.d || x.id.localeCompare(y.id));
  return scored.slice(0, max).map((s) => s.id);
}
