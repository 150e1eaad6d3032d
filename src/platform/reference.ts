/** Docker's image reference grammar (distribution/reference), for HUB and TAG. */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

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
  if (explicitRegistry && !DOMAIN.test(registry)) return `"${registry}" is not a valid registry host`;
  if (!path) return 'no repository path after the registry';
  for (const part of path.split('/')) {
    if (!PATH_COMPONENT.test(part)) {
      return /[A-Z]/.test(part) ? `"${part}" has upper-case letters (repository names are lower case)` : `"${part}" is not a valid path component`;
    }
  }
  return undefined;
}

export function tagError(tag: string): string | undefined {
  if (!tag) return 'empty';
  if (tag.length > 128) return 'longer than 128 characters';
  return TAG.test(tag) ? undefined : 'a tag is letters, digits, _ . - (not starting with . or -)';
}
