/**
 * The `.env` contributors `source` (`export HUB=…`): parsed line by line and
 * written back byte for byte except the values that change — comments, order,
 * blank lines, `export` prefixes, quoting and line endings are kept.
 */

export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line */
  line: number;
}

interface Line {
  text: string;
  eol: string;
  entry?: {
    key: string;
    value: string;
    /** text before the value (`export KEY=`) */
    prefix: string;
    /** text after the value (closing quote, comment, spaces) */
    suffix: string;
    quote: '' | '"' | "'";
  };
}

export interface DotenvDoc {
  lines: Line[];
}

const ASSIGN = /^(\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*)(\S.*|)$/;

function parseValue(rest: string): { value: string; raw: string; suffix: string; quote: '' | '"' | "'" } {
  if (rest.startsWith('"')) {
    let i = 1;
    let value = '';
    while (i < rest.length && rest[i] !== '"') {
      if (rest[i] === '\\' && i + 1 < rest.length) {
        const n = rest[i + 1];
        value += n === 'n' ? '\n' : n;
        i += 2;
      } else value += rest[i++];
    }
    return { value, raw: rest.slice(0, i + 1), suffix: rest.slice(i + 1), quote: '"' };
  }
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    const close = end < 0 ? rest.length : end;
    return { value: rest.slice(1, close), raw: rest.slice(0, close + 1), suffix: rest.slice(close + 1), quote: "'" };
  }
  const raw = beforeComment(rest).trimEnd();
  return { value: raw, raw, suffix: rest.slice(raw.length), quote: '' };
}

export function parseDotenv(text: string): DotenvDoc {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|\r|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '' && m.index >= text.length) break;
    const [, body, eol] = m;
    const line: Line = { text: body, eol };
    const a = ASSIGN.exec(body);
    if (a && !body.trimStart().startsWith('#')) {
      const v = parseValue(a[3]);
      line.entry = { key: a[2], value: v.value, prefix: a[1], suffix: v.suffix, quote: v.quote };
    }
    lines.push(line);
    if (eol === '') break;
  }
  return { lines };
}

export function entries(doc: DotenvDoc): DotenvEntry[] {
  return doc.lines.flatMap((l, i) => (l.entry ? [{ key: l.entry.key, value: l.entry.value, line: i + 1 }] : []));
}

/** The last assignment wins, as when the file is sourced. */
export function get(doc: DotenvDoc, key: string): DotenvEntry | undefined {
  return entries(doc)
    .filter((e) => e.key === key)
    .pop();
}

function quoteFor(value: string, preferred: '' | '"' | "'"): { text: string; quote: '' | '"' | "'" } {
  if (preferred === "'" && !value.includes("'")) return { text: `'${value}'`, quote: "'" };
  if (preferred === '' && /^[A-Za-z0-9_./:@%+=,-]*$/.test(value)) return { text: value, quote: '' };
  return { text: `"${value.replace(/(["\\$`])/g, '\\$1')}"`, quote: '"' };
}

/** Sets `key` (the last assignment of it, or a new `export KEY=…` line at the end). */
export function set(doc: DotenvDoc, key: string, value: string): DotenvDoc {
  const lines = doc.lines.map((l) => ({ ...l, entry: l.entry && { ...l.entry } }));
  const idx = lines.map((l, i) => (l.entry?.key === key ? i : -1)).filter((i) => i >= 0).pop();
  if (idx !== undefined) {
    const l = lines[idx];
    const q = quoteFor(value, l.entry!.quote);
    l.text = l.entry!.prefix + q.text + l.entry!.suffix;
    l.entry = { ...l.entry!, value, quote: q.quote };
    return { lines };
  }
  const eol = lines.find((l) => l.eol)?.eol ?? '\n';
  const last = lines[lines.length - 1];
  if (last && last.eol === '' && last.text !== '') last.eol = eol;
  if (last && last.eol === '' && last.text === '') lines.pop();
  const q = quoteFor(value, '');
  lines.push({ text: `export ${key}=${q.text}`, eol, entry: { key, value, prefix: `export ${key}=`, suffix: '', quote: q.quote } });
  return { lines };
}

export function serialize(doc: DotenvDoc): string {
  return doc.lines.map((l) => l.text + l.eol).join('');
}

/** `rest` up to a ` #` comment (whitespace then #), in one linear pass. */
function beforeComment(rest: string): string {
  for (let i = 1; i < rest.length; i++) {
    if (rest[i] === '#' && /\s/.test(rest[i - 1])) return rest.slice(0, i);
  }
  return rest;
}
