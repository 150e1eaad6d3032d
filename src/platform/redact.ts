/**
 * Removes secrets from text before anything is printed. Every function here
 * is linear in the length of its input (one forward scan, no backtracking
 * regex), so a hostile 10 MB line costs milliseconds, not minutes.
 */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|KEY|AUTH|CREDENTIAL)/i;

/** Where the authority of a URL ends: `/`, `?`, `#`, whitespace, a quote or bracket. */
function authorityEnd(text: string, from: number): { end: number; at: number } {
  let i = from;
  let at = -1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    // '/' '?' '#' '"' "'" '<' '>' '`' '(' ')' '[' ']' is for IPv6, so kept; whitespace and control chars
    if (c <= 0x20 || c === 0x2f || c === 0x3f || c === 0x23 || c === 0x22 || c === 0x27 || c === 0x3c || c === 0x3e || c === 0x60 || c === 0x28 || c === 0x29 || c === 0x7f) break;
    if (c === 0x40) at = i;
    i++;
  }
  return { end: i, at };
}

/**
 * Userinfo of every `scheme://userinfo@host` in `text`:
 * `https://user:pass@host` → `https://user:***@host`, and
 * `https://TOKEN@host` (a token as the user name) → `https://***@host`.
 */
export function redactUrl(text: string): string {
  let out = '';
  let copied = 0;
  let search = 0;
  for (;;) {
    const at = text.indexOf('://', search);
    if (at < 0) break;
    const start = at + 3;
    const { end, at: amp } = authorityEnd(text, start);
    if (amp >= start) {
      const userinfo = text.slice(start, amp);
      const colon = userinfo.indexOf(':');
      out += text.slice(copied, start) + (colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***');
      copied = amp;
    }
    // The next `://` can begin at most one character before `end` (a ':' ending the authority).
    search = Math.max(end - 1, start);
    if (search <= at) search = at + 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** True when a URL carries userinfo (credentials). */
export function hasCredentials(url: string): boolean {
  return redactUrl(url) !== url;
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * The pieces of a secret value that may show up alone: the value itself and,
 * for a header (`Authorization: Bearer abc…`, Istio's AUTH_HEADER), what follows
 * the name and what follows the scheme. Longest first.
 */
function secretPieces(value: string): string[] {
  const pieces = [value];
  const colon = value.indexOf(':');
  // Only a header's shape ("Name: value", a space after the colon): "user:pass" is not split, or every "pass" would go.
  if (colon > 0 && /^[A-Za-z][\w-]*$/.test(value.slice(0, colon)) && value[colon + 1] === ' ') {
    const rest = value.slice(colon + 1).trim();
    const parts = [rest];
    const space = rest.indexOf(' ');
    if (space > 0 && /^[A-Za-z]+$/.test(rest.slice(0, space))) parts.push(rest.slice(space + 1).trim());
    // a piece alone must look like a credential, not a word
    pieces.push(...parts.filter((p) => p.length >= 8));
  }
  return pieces;
}

/** Redacts URL userinfo and the values of secret-looking env vars found in text (a header's credentials alone too). */
export function redact(text: string, env: Record<string, string | undefined> = {}): string {
  let out = redactUrl(text);
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 4 || !isSecretName(name)) continue;
    for (const piece of secretPieces(value)) out = out.split(piece).join('***');
  }
  return out;
}

/** A deep copy of a JSON-like value with every string redacted (for structured output). */
export function redactDeep<T>(value: T, env: Record<string, string | undefined> = {}): T {
  if (typeof value === 'string') return redact(value, env) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactDeep(v, env)])) as T;
  }
  return value;
}
