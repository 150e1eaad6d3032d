/** Version helpers for Go-style versions ("1.13", "1.22.0", "go1.21rc2"). */
import semver from 'semver';

export function coerceVersion(v: string): semver.SemVer | null {
  return semver.coerce(v.replace(/^go/, ''));
}

/** a < b for Go versions; unparsable versions never compare as older. */
export function versionLess(a: string, b: string): boolean {
  const va = coerceVersion(a);
  const vb = coerceVersion(b);
  return Boolean(va && vb && semver.lt(va, vb));
}
