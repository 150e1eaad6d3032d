/**
 * A small reader of Istio's bash scripts (bin/init.sh, bin/build_ztunnel.sh,
 * bin/init_helm.sh): it follows `if`/`elif`/`else`/`fi` the way bash would for
 * the simple tests those scripts use (`[[ "${TARGET_ARCH}" == "amd64" ]]`,
 * `[[ -n "${DEBUG_IMAGE:-}" ]]`), so an assignment or a call in a branch that
 * bash would not take is not taken here either. Conditions it cannot decide
 * (`[[ ! -f "$2" ]]`) count as taken. Function bodies are kept apart: their
 * lines never count as top-level statements.
 */

export type Lookup = (name: string) => string | undefined;

export interface ScriptLine {
  /** 1-based line number */
  line: number;
  text: string;
  /** the enclosing function, when the line is inside one */
  fn?: string;
  /** every enclosing branch is taken (or undecidable) */
  taken: boolean;
  /** some enclosing branch could not be decided */
  undecided: boolean;
  /** the conditions of the enclosing `if`s, innermost last (for provenance) */
  conditions: string[];
}

function unquote(v: string): string {
  const t = v.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

/** Expands `${A}`, `$A`, `${A:-x}`, `${A//_/-}` with `lookup`; unknown names stay as they are. */
export function expand(value: string, lookup: Lookup, depth = 0): string {
  if (depth > 10) return value;
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|\/\/([^/}]*)\/([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, dash, def, from, to, bare) => {
    const v = lookup(braced ?? bare);
    if (from !== undefined) return v !== undefined ? expand(v, lookup, depth + 1).split(from).join(to) : whole;
    // ${A} and ${A-x} keep an empty A; ${A:-x} replaces it
    if (v !== undefined && (v !== '' || dash !== ':-')) return expand(v, lookup, depth + 1);
    if (def !== undefined) return expand(unquote(def), lookup, depth + 1);
    return whole;
  });
}

/** true/false for a test bash would decide from variables alone; undefined otherwise. */
export function evalCondition(cond: string, lookup: Lookup): boolean | undefined {
  // String operations, not one regex with optional parts: no backtracking on long lines.
  let body = cond.trim().replace(/^(?:if|elif)\s+/, '');
  if (body.endsWith('then')) body = body.slice(0, -4).trimEnd();
  if (body.endsWith(';')) body = body.slice(0, -1).trimEnd();
  const test = body.startsWith('[[') && body.endsWith(']]') ? [body, body.slice(2, -2).trim()] : body.startsWith('[') && body.endsWith(']') ? [body, body.slice(1, -1).trim()] : null;
  if (!test || test[1].includes('[') || /&&|\|\|/.test(test[1])) return undefined;
  const inner = test[1];
  const value = (s: string): string | undefined => {
    const e = expand(unquote(s), lookup);
    return /\$/.test(e) ? undefined : e;
  };
  let t = /^-(n|z)\s+(\S+)$/.exec(inner);
  if (t) {
    const v = value(t[2]);
    if (v === undefined) return undefined;
    return t[1] === 'n' ? v !== '' : v === '';
  }
  t = /^(\S+)\s+(==|=|!=)\s+(\S+)$/.exec(inner);
  if (t) {
    const a = value(t[1]);
    const b = value(t[3]);
    if (a === undefined || b === undefined) return undefined;
    // [[ x == pattern* ]]: a trailing * is a prefix match (the only glob these scripts use)
    const eq = b.endsWith('*') && !/^["']/.test(t[3]) ? a.startsWith(b.slice(0, -1)) : a === b;
    return t[2] === '!=' ? !eq : eq;
  }
  return undefined;
}

interface Frame {
  cond: string;
  /** this branch is taken */
  state: boolean | undefined;
  /** an earlier branch of this if was taken (so later ones are not) */
  done: boolean | undefined;
}

/** The script's lines with the branch state bash would have at each, given `lookup`. */
export function walkScript(text: string, lookup: Lookup, visit?: (l: ScriptLine) => void): ScriptLine[] {
  const out: ScriptLine[] = [];
  const stack: Frame[] = [];
  let fn: string | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    const code = trimmed.startsWith('#') ? '' : trimmed;
    // `code` is trimmed, so no pattern needs trailing whitespace.
    const fnStart = /^(?:function\s+)?([A-Za-z_]\w*)\s*\(\s*\)\s*\{?$/.exec(code) ?? /^function\s+([A-Za-z_]\w*)\s*\{?$/.exec(code);
    if (fnStart && !fn) {
      fn = fnStart[1];
      return;
    }
    if (fn && /^\}\s*$/.test(raw)) {
      fn = undefined;
      return;
    }
    if (/^if\s/.test(code) && !/\bfi;?$/.test(code)) {
      const state = evalCondition(code, lookup);
      stack.push({ cond: code, state, done: state });
      return;
    }
    if (/^elif\s/.test(code) && stack.length) {
      const top = stack[stack.length - 1];
      const c = evalCondition(code, lookup);
      top.state = top.done === true ? false : top.done === undefined || c === undefined ? undefined : c;
      top.cond = code;
      top.done = top.done === true || c === true ? true : top.done === undefined || c === undefined ? undefined : false;
      return;
    }
    if (/^else\b/.test(code) && stack.length) {
      const top = stack[stack.length - 1];
      top.state = top.done === undefined ? undefined : !top.done;
      top.cond = `else of ${top.cond}`;
      return;
    }
    if (/^fi\b/.test(code) && stack.length) {
      stack.pop();
      return;
    }
    const taken = stack.every((f) => f.state !== false);
    const undecided = stack.some((f) => f.state === undefined);
    const l: ScriptLine = { line: i + 1, text: code, fn, taken, undecided, conditions: stack.map((f) => f.cond) };
    out.push(l);
    visit?.(l);
  });
  return out;
}

/** `NAME=value` assignments as bash would leave them at the top level. */
export interface ShellVar {
  name: string;
  value: string;
  /** true when the environment can override it (`${NAME:-…}`). */
  overridable: boolean;
  line: number;
}

/** One assignment on a line: `NAME=${NAME:-x}`, `export NAME=…`, `: ${NAME:=x}`, `NAME=literal`. */
export function parseAssignment(line: string): { name: string; value: string; overridable: boolean } | undefined {
  let m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=["']?\$\{\1:?[-=](.*)\}["']?\s*(?:#.*)?$/.exec(line);
  if (m) return { name: m[1], value: unquote(m[2]), overridable: true };
  m = /^:\s+["']?\$\{([A-Za-z_][A-Za-z0-9_]*):?=(.*)\}["']?\s*$/.exec(line);
  if (m) return { name: m[1], value: unquote(m[2]), overridable: true };
  // Each piece of an unquoted value starts with a distinct character, so the match is linear.
  m = /^(?:export\s+)?([A-Za-z_]\w*)=("[^"]*"|'[^']*'|(?:[^\s;`$()]|\$\{\w+\}|\$\w+(?!\w))*)(?:\s+#.*|\s*)$/.exec(line);
  if (m) return { name: m[1], value: unquote(m[2]), overridable: false };
  return undefined;
}

/**
 * The top-level variables of a script, following its branches with `lookup`
 * (so `ISTIO_ENVOY_ARCH_SUFFIX` is the one the TARGET_ARCH branch sets). In a
 * taken branch a later assignment replaces an earlier one; in an undecidable
 * branch the first one is kept.
 */
export function scriptVars(text: string, lookup: Lookup = () => undefined): Map<string, ShellVar> {
  const out = new Map<string, ShellVar>();
  const view: Lookup = (n) => {
    const v = out.get(n);
    if (v && !v.overridable) return v.value;
    return lookup(n) ?? v?.value;
  };
  walkScript(text, view, (l) => {
    if (l.fn || !l.taken) return;
    const a = parseAssignment(l.text);
    if (!a) return;
    if (l.undecided && out.has(a.name)) return;
    out.set(a.name, { ...a, line: l.line });
  });
  return out;
}
