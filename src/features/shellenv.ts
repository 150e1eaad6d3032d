/** The environment devenv manages, rendered for a shell: `eval "$(devenv shellenv)"`. */
import path from 'node:path';
import type { IstioContext as Context } from '../istio/project.js';
import { gemBinDirs } from './gems.js';
import { installedGos } from './toolchains.js';
import { versionLess } from '../platform/versions.js';

export type Shell = 'bash' | 'zsh' | 'fish';

export interface ShellEnv {
  /** Directories to put first on PATH, in order. */
  path: string[];
  vars: [string, string][];
  comments: string[];
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
  // The same dirs the fpm check looks in: what shellenv puts on PATH, doctor finds.
  out.path.push(...(await gemBinDirs(ctx)));
  if (ctx.root) {
    const gopath = gopathFor(ctx.root);
    if (gopath) {
      out.vars.push(['GOPATH', gopath]);
      out.path.push(path.join(gopath, 'bin'));
    }
    // Per the line's dependency mode: 1.1 (dep, no go.mod) builds in GOPATH mode; 1.2/1.3 from their committed vendor/.
    const mode = ctx.project?.line.depMode.value;
    if (mode === 'dep') out.vars.push(['GO111MODULE', 'off']);
    else if (ctx.project?.goMod.module) out.vars.push(['GO111MODULE', 'on']);
    if (mode === 'vendor-gopath' && !/(^|\s)-mod=/.test(ctx.env.GOFLAGS ?? '')) out.vars.push(['GOFLAGS', '-mod=vendor']);
  }
  if (ctx.config.go.proxy) out.vars.push(['GOPROXY', ctx.config.go.proxy]);
  // Said, not silent: an empty output looks like a failure to whoever runs it by hand (a comment evaluates to nothing).
  if (out.path.length === 0 && out.vars.length === 0) {
    out.comments.push(`nothing to export${ctx.root ? '' : ' outside an Istio checkout'}: devenv has installed no Go or gems here${ctx.root ? '' : ' (run it inside a checkout, or pass --dir)'}`);
  }
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
