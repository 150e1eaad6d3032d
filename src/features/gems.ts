/**
 * Where `gem install` puts executables, found the same way by the fpm check
 * and by `devenv shellenv` (one probe, memoised per run), without starting
 * ruby: $GEM_HOME/bin when set; else the user gem dirs RubyGems uses,
 * ~/.gem/ruby/<ver>/bin and, on RubyGems ≥ 3 with XDG (Debian's ruby 3.x),
 * $XDG_DATA_HOME/gem/ruby/<ver>/bin (default ~/.local/share/gem/…); and the
 * system gem bin dirs are on PATH already.
 */
import path from 'node:path';
import type { Context } from '../engine/context.js';

/** Existing gem bin dirs, newest ruby version first. */
export function gemBinDirs(ctx: Context<unknown>): Promise<string[]> {
  return ctx.memo('gem-bin-dirs', async () => {
    if (ctx.env.GEM_HOME) return [path.join(ctx.env.GEM_HOME, 'bin')];
    const xdgData = ctx.env.XDG_DATA_HOME && path.isAbsolute(ctx.env.XDG_DATA_HOME) ? ctx.env.XDG_DATA_HOME : path.join(ctx.paths.home, '.local', 'share');
    const bases = [path.join(ctx.paths.home, '.gem', 'ruby'), path.join(xdgData, 'gem', 'ruby')];
    const out: string[] = [];
    for (const base of bases) {
      const versions = await ctx.fs.readdir(base).catch(() => [] as string[]);
      for (const v of versions.sort().reverse()) {
        const bin = path.join(base, v, 'bin');
        if (await ctx.fs.access(bin).then(() => true, () => false)) out.push(bin);
      }
    }
    return out;
  });
}

/** `name` in a gem bin dir, or undefined. */
export async function findGemExecutable(ctx: Context<unknown>, name: string): Promise<string | undefined> {
  for (const dir of await gemBinDirs(ctx)) {
    const p = path.join(dir, name);
    if (await ctx.fs.access(p).then(() => true, () => false)) return p;
  }
  return undefined;
}
