import type { IstioCheck } from '../src/istio/project.js';
import { hostToolchainApplies } from '../src/istio/container.js';
import type { CheckResult } from '../src/engine/check.js';
import { installSteps } from '../src/features/pkgmgr.js';

export const ruby = {
  id: 'ruby',
  title: 'Ruby',
  category: 'toolchain',
  appliesTo: hostToolchainApplies,
  description: '`ruby` is on PATH (fpm, which builds the deb/rpm packages, is a Ruby gem).',
  fixDescription: 'Installs ruby with the platform package manager (brew, apt-get or dnf), after asking.',
  async run(ctx): Promise<CheckResult> {
    const bin = await ctx.which('ruby');
    if (!bin) return { status: 'fail', summary: 'ruby not found on PATH', found: 'missing', hint: 'devenv fix ruby' };
    const r = await ctx.exec(bin, ['--version']);
    const m = /ruby (\d+\.\d+\.\d+)/.exec(r.stdout);
    if (!r.ok || !m) return { status: 'fail', summary: `ruby is broken: ${(r.stderr || r.stdout).trim().split('\n')[0]}`, found: 'broken', hint: 'devenv fix ruby' };
    return { status: 'ok', summary: `ruby ${m[1]} (${bin})`, found: m[1] };
  },
  async fix(ctx) {
    return { steps: await installSteps(ctx, 'ruby') };
  },
} satisfies IstioCheck;
