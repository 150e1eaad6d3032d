import os from 'node:os';
import path from 'node:path';

export interface Paths {
  home: string;
  /** $XDG_CONFIG_HOME/devenv */
  config: string;
  /** $XDG_DATA_HOME/devenv: installed toolchains, backups */
  data: string;
  /** $XDG_CACHE_HOME/devenv: downloads shared by every checkout */
  cache: string;
}

export function resolvePaths(env: Record<string, string | undefined>): Paths {
  const home = env.HOME || os.homedir();
  const base = (v: string | undefined, fallback: string) => (v && path.isAbsolute(v) ? v : path.join(home, fallback));
  return {
    home,
    config: path.join(base(env.XDG_CONFIG_HOME, '.config'), 'devenv'),
    data: path.join(base(env.XDG_DATA_HOME, '.local/share'), 'devenv'),
    cache: path.join(base(env.XDG_CACHE_HOME, '.cache'), 'devenv'),
  };
}

/** Shows the home directory as `~`. */
export function tildify(p: string, home: string): string {
  if (!home || home === '/') return p;
  if (p === home) return '~';
  return p.startsWith(home + path.sep) ? '~' + p.slice(home.length) : p;
}
