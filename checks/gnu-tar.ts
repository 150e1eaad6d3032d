import type { IstioCheck } from '../src/istio/project.js';
import { hostToolchainApplies } from '../src/istio/container.js';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { installSteps } from '../src/features/pkgmgr.js';

/** The GNU tar devenv and Istio's scripts should use: `gtar` on macOS, else `tar`. */
export async function findGnuTar(ctx: Context): Promise<{ path?: string; version?: string; other?: string }> {
  const names = ctx.platform === 'darwin' ? ['gtar', 'tar'] : ['tar', 'gtar'];
  let other: string | undefined;
  for (const name of names) {
    const p = await ctx.which(name);
    if (!p) continue;
    const r = await ctx.exec(p, ['--version']);
    const first = (r.stdout || r.stderr).split('\n')[0]?.trim() ?? '';
    const m = /GNU tar\)?\s*([\d.]+)/.exec(first);
    if (r.ok && m) return { path: p, version: m[1] };
    other ??= `${p}: ${first || 'unknown'}`;
  }
  return { other };
}

export const gnuTar = {
  id: 'gnu-tar',
  title: 'GNU tar',
  category: 'toolchain',
  appliesTo: hostToolchainApplies,
  description: 'GNU tar is available (`tar` on Linux, `gtar` on macOS); packaging and release archives need its flags.',
  fixDescription: 'Installs GNU tar with the platform package manager (brew gnu-tar, giving gtar; apt-get/dnf tar), after asking.',
  async run(ctx): Promise<CheckResult> {
    const t = await findGnuTar(ctx);
    if (t.version) return { status: 'ok', summary: `GNU tar ${t.version} (${t.path})`, found: t.version };
    return {
      status: 'fail',
      summary: t.other ? `tar is not GNU tar (${t.other})` : 'tar not found on PATH',
      found: t.other ? 'not GNU tar' : 'missing',
      required: 'GNU tar',
      hint: ctx.platform === 'darwin' ? 'brew install gnu-tar (provides gtar)' : 'sudo apt-get install tar',
    };
  },
  async fix(ctx) {
    return { steps: await installSteps(ctx, 'gnu-tar') };
  },
} satisfies IstioCheck;
