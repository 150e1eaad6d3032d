/**
 * Docker's image reference grammar (distribution/reference), for HUB and TAG.
 * Checked by linear scans, not by the grammar's regular expressions: their
 * JavaScript translations backtrack exponentially on long near-misses.
 */

const isLower = (ch: string) => ch >= 'a' && ch <= 'z';
const isDigit = (ch: string) => ch >= '0' && ch <= '9';
const isAlnumLower = (ch: string) => isLower(ch) || isDigit(ch);
const isAlnum = (ch: string) => isAlnumLower(ch) || (ch >= 'A' && ch <= 'Z');

/** `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`, the distribution project's path-component. */
export function isPathComponent(s: string): boolean {
  let i = 0;
  const alnumRun = () => {
    const start = i;
    while (i < s.length && isAlnumLower(s[i])) i++;
    return i > start;
  };
  if (!alnumRun()) return false;
  while (i < s.length) {
    if (s[i] === '.') i++;
    else if (s[i] === '_') i += s[i + 1] === '_' ? 2 : 1;
    else if (s[i] === '-') while (s[i] === '-') i++;
    else return false;
    if (!alnumRun()) return false;
  }
  return true;
}

/** A host label: alphanumerics with inner hyphens. */
function isDomainLabel(s: string): boolean {
  if (s.length === 0 || !isAlnum(s[0]) || !isAlnum(s[s.length - 1])) return false;
  for (const ch of s) if (!isAlnum(ch) && ch !== '-') return false;
  return true;
}

/** `host[.host…][:port]` */
export function isDomain(s: string): boolean {
  const colon = s.indexOf(':');
  const host = colon < 0 ? s : s.slice(0, colon);
  if (colon >= 0) {
    const port = s.slice(colon + 1);
    if (port.length === 0 || port.length > 5 || ![...port].every(isDigit)) return false;
  }
  return host.split('.').every(isDomainLabel);
}

function isTag(s: string): boolean {
  if (s.length === 0 || s.length > 128) return false;
  const word = (ch: string) => isAlnum(ch) || ch === '_';
  if (!word(s[0])) return false;
  for (const ch of s) if (!word(ch) && ch !== '.' && ch !== '-') return false;
  return true;
}

/** The registry a repository lives in: its first component when that looks like a host, else docker.io. */
export function splitRepository(repo: string): { registry: string; path: string; explicitRegistry: boolean } {
  const slash = repo.indexOf('/');
  const first = slash < 0 ? '' : repo.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first, path: repo.slice(slash + 1), explicitRegistry: true };
  }
  return { registry: 'docker.io', path: repo, explicitRegistry: false };
}

/** Why `repo` is not a valid repository reference, or undefined when it is. */
export function repositoryError(repo: string): string | undefined {
  if (!repo) return 'empty';
  if (repo.length > 255) return 'longer than 255 characters';
  const { registry, path, explicitRegistry } = splitRepository(repo);
  if (explicitRegistry && !isDomain(registry)) return `"${registry}" is not a valid registry host`;
  if (!path) return 'no repository path after the registry';
  for (const part of path.split('/')) {
    if (!isPathComponent(part)) {
      return [...part].some((ch) => ch >= 'A' && ch <= 'Z') ? `"${part}" has upper-case letters (repository names are lower case)` : `"${part}" is not a valid path component`;
    }
  }
  return undefined;
}

export function tagError(tag: string): string | undefined {
  if (!tag) return 'empty';
  if (tag.length > 128) return 'longer than 128 characters';
  return isTag(tag) ? undefined : 'a tag is letters, digits, _ . - (not starting with . or -)';
}
