/**
 * Terminal layout: the width to wrap at, word wrapping with a hanging indent,
 * and cutting long tool output to its first meaningful lines.
 *
 * wrap-ansi does the wrapping (it keeps colour codes intact across the break
 * and measures East Asian wide characters and emoji with string-width); this
 * module only adds the hanging indent and the "unknown or 0 columns → 80" rule.
 */
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

export const DEFAULT_WIDTH = 80;
/** Below this, wrapping would put one word per line; treat as the default. */
const MIN_WIDTH = 20;

/** Columns to lay out for: the terminal's, or 80 when it is unknown or 0 (e.g. `script` in CI). */
export function terminalWidth(columns: number | undefined): number {
  if (!columns || !Number.isFinite(columns) || columns < MIN_WIDTH) return DEFAULT_WIDTH;
  return Math.floor(columns);
}

export const visibleWidth = (s: string): number => stringWidth(s);

/**
 * Wraps one logical line to `width` columns at word boundaries. `indent` is the
 * hanging indent of continuation lines (default: the line's own leading
 * spaces plus 2, so text under a mark such as "  ✓ " lines up). A word longer
 * than a whole line (a long path or URL) starts on its own line and is broken
 * after a `/` where it can be, and only then anywhere.
 */
export function wrapLine(line: string, width: number, indent?: number): string[] {
  if (visibleWidth(line) <= width) return [line];
  const lead = /^ */.exec(line)![0].length;
  const hang = Math.min(indent ?? lead + 2, Math.floor(width / 2));
  const words = line.slice(lead).split(/ +/).filter((w) => w !== '');
  const out: string[] = [];
  let cur = ' '.repeat(lead);
  let curWidth = lead;
  let empty = true;
  const newLine = () => {
    out.push(cur);
    cur = ' '.repeat(hang);
    curWidth = hang;
    empty = true;
  };
  const put = (w: string, ww: number) => {
    if (!empty) {
      cur += ' ';
      curWidth += 1;
    }
    cur += w;
    curWidth += ww;
    empty = false;
  };
  for (const word of words) {
    const ww = visibleWidth(word);
    if (curWidth + (empty ? 0 : 1) + ww <= width) {
      put(word, ww);
      continue;
    }
    if (!empty) newLine();
    if (curWidth + ww <= width) {
      put(word, ww);
      continue;
    }
    // Longer than a whole line: break after slashes, then hard.
    for (const piece of splitLong(word, width - hang)) {
      const pw = visibleWidth(piece);
      if (!empty && curWidth + pw > width) newLine();
      cur += piece;
      curWidth += pw;
      empty = false;
    }
  }
  if (!empty || out.length === 0) out.push(cur);
  return out.map((l) => l.trimEnd());
}

/** Pieces of one over-long word, each at most `max` columns: cut after a '/' when possible. */
function splitLong(word: string, max: number): string[] {
  const parts = word.split(/(?<=\/)/);
  const pieces: string[] = [];
  let cur = '';
  for (const p of parts) {
    if (visibleWidth(cur + p) <= max) {
      cur += p;
      continue;
    }
    if (cur) pieces.push(cur);
    cur = '';
    if (visibleWidth(p) <= max) cur = p;
    else {
      const hard = wrapAnsi(p, max, { hard: true, trim: false, wordWrap: false }).split('\n');
      cur = hard.pop() ?? '';
      pieces.push(...hard);
    }
  }
  if (cur) pieces.push(cur);
  return pieces;
}

/** Wraps every line of a block (lines may contain "\n"). */
export function wrapBlock(lines: readonly string[], width: number, indentOf?: (line: string) => number | undefined): string[] {
  const out: string[] = [];
  for (const l of lines.flatMap((x) => x.split('\n'))) out.push(...wrapLine(l, width, indentOf?.(l)));
  return out;
}

/** Lines of tool chatter that say nothing about what went wrong. */
const NOISE = [/^go: downloading /, /^go: finding /, /^go: extracting /, /^\s*$/, /^Fetching /, /^Successfully installed /];

/**
 * A long tool error cut to its first meaningful lines, once: repeated lines are
 * collapsed ("(×10)"), chatter dropped, at most `maxLines` lines and
 * `maxChars` characters kept. `rest` is how many lines were left out (shown
 * with --verbose).
 */
export function clip(text: string, opts: { maxLines?: number; maxChars?: number } = {}): { text: string; rest: number; cut: boolean; full: string[] } {
  const full = dedupe(text.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== ''));
  const meaningful = full.filter((l) => !NOISE.some((re) => re.test(l)));
  const pick = meaningful.length > 0 ? meaningful : full;
  const maxLines = opts.maxLines ?? 3;
  const maxChars = opts.maxChars ?? 240;
  const kept: string[] = [];
  let chars = 0;
  let cut = false;
  for (const l of pick) {
    if (kept.length >= maxLines) break;
    if (chars + l.length > maxChars) {
      if (kept.length === 0) {
        kept.push(l.slice(0, maxChars).replace(/\s+\S*$/, '') + ' …');
        cut = true;
      }
      break;
    }
    kept.push(l);
    chars += l.length;
  }
  return { text: kept.join('\n'), rest: Math.max(0, full.length - kept.length), cut, full };
}

/** Collapses repeated lines (anywhere in the list) into one with a count. */
export function dedupe(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const [l, n] of counts) out.push(n > 1 ? `${l} (×${n})` : l);
  return out;
}

/** One line, cut to `width` columns with an ellipsis (for a spinner, which must never wrap). */
export function truncate(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  let out = '';
  for (const ch of line) {
    if (visibleWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return out + '…';
}
