/** Where devenv installs toolchains, and which `go` binary checks should use. */
import path from 'node:path';
import type { Context } from '../engine/context.js';
import { versionLess } from '../platform/versions.js';

export function toolchainsDir(ctx: Context): string {
  return path.join(ctx.paths.data, 'toolchains');
}

export function goRoot(ctx: Context, version: string): string {
  return path.join(toolchainsDir(ctx), `go${version}`);
}

/** Go toolchains devenv installed, newest first. */
export async function installedGos(ctx: Context): Promise<{ version: string; bin: string }[]> {
  let names: string[] = [];
  try {
    names = await ctx.fs.readdir(toolchainsDir(ctx));
  } catch {
    return [];
  }
  const out: { version: string; bin: string }[] = [];
  for (const n of names) {
    const m = /^go(\d+\.\d+(?:\.\d+)?)$/.exec(n);
    if (!m) continue;
    const bin = path.join(toolchainsDir(ctx), n, 'bin', 'go');
    try {
      await ctx.fs.access(bin);
      out.push({ version: m[1], bin });
    } catch {
      // incomplete install: ignored
    }
  }
  return out.sort((a, b) => (versionLess(a.version, b.version) ? 1 : -1));
}

/**
 * The `go` to use: the one on PATH when it satisfies `required`, else a
 * devenv-installed toolchain that does (the one `devenv shellenv` puts first on PATH).
 */
export async function resolveGo(ctx: Context, required?: string): Promise<string | null> {
  const onPath = await ctx.which('go');
  const installed = await installedGos(ctx);
  const good = required ? installed.find((g) => !versionLess(g.version, required)) : undefined;
  if (onPath && required && good) {
    const r = await ctx.exec(onPath, ['env', 'GOVERSION'], { env: { ...ctx.env, GOTOOLCHAIN: 'local' }, cwd: '/' });
    const v = /go(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout)?.[1];
    if (!v || versionLess(v, required)) return good.bin;
  }
  return onPath ?? good?.bin ?? installed[0]?.bin ?? null;
}
