/**
 * Edits `.istiorc.mk`, the file every Istio line's Makefile `-include`s, so
 * HUB and TAG written there are what make sees. Every byte of every other
 * line is kept: the text is handled as latin1 (one char per byte), and the
 * values written are ASCII (validated image references).
 */
export interface RcEdit {
  text: string;
  changed: { name: string; value: string; was?: string; line: number }[];
}

const EOL = (text: string) => (text.includes('\r\n') ? '\r\n' : '\n');

/** The first simple assignment of `name`, as make reads it: its line index, operator, value and the parts around it. */
export function findAssignment(lines: string[], name: string): { index: number; op: string; value: string; prefix: string; suffix: string } | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    const m = /^(\s*(?:export\s+)?)(\w+)(\s*)(\?=|::=|:=|\+=|=)/.exec(line);
    if (!m || m[2] !== name) continue;
    const rest = line.slice(m[0].length);
    const hash = rest.indexOf('#');
    const body = hash < 0 ? rest : rest.slice(0, hash);
    const lead = body.length - body.trimStart().length;
    const value = body.trim();
    const prefix = line.slice(0, m[0].length) + body.slice(0, lead);
    const suffix = line.slice(prefix.length + value.length);
    return { index: i, op: m[4], value, prefix, suffix };
  }
  return undefined;
}

/** Sets each name to its value (replacing the first assignment's value, else appending `NAME ?= value`). */
export function setRcValues(text: string, values: { name: string; value: string }[]): RcEdit {
  const eol = EOL(text);
  const lines = text === '' ? [] : text.split('\n');
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  const changed: RcEdit['changed'] = [];
  for (const { name, value } of values) {
    const found = findAssignment(lines, name);
    if (found) {
      if (found.value === value) continue;
      const cr = lines[found.index].endsWith('\r') ? '\r' : '';
      lines[found.index] = found.prefix + value + found.suffix + cr;
      changed.push({ name, value, was: found.value, line: found.index + 1 });
    } else {
      // `?=`: a HUB or TAG in your environment still wins, as it does over the Makefile's own default.
      lines.push(`${name} ?= ${value}${eol === '\r\n' ? '\r' : ''}`);
      changed.push({ name, value, line: lines.length });
    }
  }
  if (changed.length === 0) return { text, changed };
  return { text: lines.join('\n') + (trailingNewline || lines.length > 0 ? '\n' : ''), changed };
}
