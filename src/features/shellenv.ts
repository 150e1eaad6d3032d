/** The environment devenv manages, rendered for a shell: `eval "$(devenv shellenv)"`. */
import path from 'node:path';
import type { IstioContext as Context } from '../istio/project.js';
import { installedGos } from './toolchains.js';
import { versionLess } from '../platform/versions.js';

export type Shell = 'bash' | 'zsh' | 'fish';

export interface ShellEnv {
  /** Directories to put first on PATH, in order. */
  path: string[];
  vars: [string, string][];
  comments: string[];
}

/**
 * The user gem bin dir (`gem install --user-install` puts executables there),
 * found on disk instead of asking ruby (`ruby -e 'print Gem.user_dir'` costs
 * ~50 ms of shellenv's start-up budget): $GEM_HOME/bin, else the newest existing
 * <XDG data home>/gem/ruby/<ver>/bin (Debian's rubygems) or ~/.gem/ruby/<ver>/bin.
 */
export async function userGemBin(ctx: Context): Promise<string | undefined> {
  if (ctx.env.GEM_HOME) return path.join(ctx.env.GEM_HOME, 'bin');
  for (const base of [path.join(path.dirname(ctx.paths.data), 'gem', 'ruby'), path.join(ctx.paths.home, '.gem', 'ruby')]) {
    const versions = await ctx.fs.readdir(base).catch(() => [] as string[]);
    versions.sort((a, b) => (versionLess(a, b) ? 1 : versionLess(b, a) ? -1 : 0));
    for (const v of versions) {
      const bin = path.join(base, v, 'bin');
      try {
        await ctx.fs.access(bin);
        return bin;
      } catch {
        // not this one
      }
    }
  }
  return undefined;
}

/** GOPATH as the 1.4-era Makefiles need it: the X of X/src/istio.io/istio. */
export function gopathFor(root: string): string | undefined {
  const suffix = path.join('src', 'istio.io', 'istio');
  return root.endsWith(path.sep + suffix) ? root.slice(0, -(suffix.length + 1)) : undefined;
}

export async function computeShellEnv(ctx: Context, requiredGo?: string): Promise<ShellEnv> {
  const out: ShellEnv = { path: [], vars: [], comments: [] };
  const gos = await installedGos(ctx);
  const go = (requiredGo ? gos.find((g) => !versionLess(g.version, requiredGo)) : undefined) ?? gos[0];
  if (go) {
    out.path.push(path.dirname(go.bin));
    out.comments.push(`Go ${go.version} installed by devenv`);
  }
  const gemBin = await userGemBin(ctx);
  if (gemBin) out.path.push(gemBin);
  if (ctx.root) {
    const gopath = gopathFor(ctx.root);
    if (gopath) {
      out.vars.push(['GOPATH', gopath]);
      out.path.push(path.join(gopath, 'bin'));
    }
    if (ctx.project?.goMod.module) out.vars.push(['GO111MODULE', 'on']);
  }
  if (ctx.config.go.proxy) out.vars.push(['GOPROXY', ctx.config.go.proxy]);
  return out;
}

const sq = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
const fishq = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function renderShellEnv(env: ShellEnv, shell: Shell): string {
  const lines: string[] = [];
  for (const c of env.comments) lines.push(`# ${c}`);
  if (shell === 'fish') {
    for (const [k, v] of env.vars) lines.push(`set -gx ${k} ${fishq(v)}`);
    if (env.path.length) lines.push(`set -gx PATH ${env.path.map(fishq).join(' ')} $PATH`);
  } else {
    for (const [k, v] of env.vars) lines.push(`export ${k}=${sq(v)}`);
    if (env.path.length) lines.push(`export PATH=${sq(env.path.join(':'))}:"$PATH"`);
  }
  return lines.join('\n') + '\n';
}

export function defaultShell(env: Record<string, string | undefined>): Shell {
  const base = path.basename(env.SHELL ?? '');
  return base === 'fish' ? 'fish' : base === 'zsh' ? 'zsh' : 'bash';
}
