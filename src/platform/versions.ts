/**
 * Go versions compared the way Go compares them (golang.org/x/mod's gover):
 * "1.21" (a language version) < "1.21rc1" < "1.21rc2" < "1.21.0" < "1.21.1".
 * Before Go 1.21 the first release of a line was named "go1.20", which is
 * "1.20.0". Parsing is a hand-written scan: no regular expression.
 */

export interface GoVersion {
  major: number;
  minor: number;
  /** null for a language version or a pre-release ("1.21", "1.21rc2"). */
  patch: number | null;
  /** '' for a release or language version, else alpha, beta or rc. */
  kind: '' | 'alpha' | 'beta' | 'rc';
  pre: number;
}

function digits(s: string, i: number): { n: number; end: number } | null {
  let end = i;
  while (end < s.length && s.charCodeAt(end) >= 48 && s.charCodeAt(end) <= 57) end++;
  if (end === i || end - i > 9) return null;
  return { n: Number(s.slice(i, end)), end };
}

/** Parses "go1.21rc2", "1.21", "1.22.0"; null when it is not a Go version. */
export function parseGoVersion(input: string): GoVersion | null {
  const s = input.startsWith('go') ? input.slice(2) : input;
  const major = digits(s, 0);
  if (!major) return null;
  if (major.end === s.length) return { major: major.n, minor: 0, patch: major.n === 1 ? null : 0, kind: '', pre: 0 };
  if (s[major.end] !== '.') return null;
  const minor = digits(s, major.end + 1);
  if (!minor) return null;
  let i = minor.end;
  const v: GoVersion = { major: major.n, minor: minor.n, patch: null, kind: '', pre: 0 };
  if (i === s.length) {
    // go1.20 was the first 1.20 release; from 1.21 on, "1.21" names the language.
    if (v.major === 1 && v.minor < 21) v.patch = 0;
    return v;
  }
  if (s[i] === '.') {
    const patch = digits(s, i + 1);
    if (!patch || patch.end !== s.length) return null;
    v.patch = patch.n;
    return v;
  }
  for (const kind of ['alpha', 'beta', 'rc'] as const) {
    if (s.startsWith(kind, i)) {
      i += kind.length;
      const pre = digits(s, i);
      if (!pre || pre.end !== s.length) return null;
      v.kind = kind;
      v.pre = pre.n;
      return v;
    }
  }
  return null;
}

const KIND_ORDER = { '': 0, alpha: 1, beta: 2, rc: 3 } as const;

/** -1, 0 or 1, as Go orders versions. Unparsable versions sort first. */
export function compareGoVersions(a: string, b: string): number {
  const x = parseGoVersion(a);
  const y = parseGoVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  const c = (p: number, q: number) => (p < q ? -1 : p > q ? 1 : 0);
  let r = c(x.major, y.major) || c(x.minor, y.minor);
  if (r) return r;
  // A release (patch set) is newer than the language version and its pre-releases.
  if (x.patch !== null || y.patch !== null) {
    if (x.patch === null) return -1;
    if (y.patch === null) return 1;
    return c(x.patch, y.patch);
  }
  r = c(KIND_ORDER[x.kind], KIND_ORDER[y.kind]);
  return r || c(x.pre, y.pre);
}

/** a < b for Go versions; unparsable versions never compare as older. */
export function versionLess(a: string, b: string): boolean {
  if (!parseGoVersion(a) || !parseGoVersion(b)) return false;
  return compareGoVersions(a, b) < 0;
}

/** True for a stable release (not a language version, not a pre-release). */
export function isRelease(v: string): boolean {
  const p = parseGoVersion(v);
  return Boolean(p && p.patch !== null && p.kind === '');
}
