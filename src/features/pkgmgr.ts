/**
 * The platform package manager (brew, apt-get, dnf) as fix steps: argument
 * arrays, sudo when not root, and consent on every install.
 */
import type { FixStep } from '../engine/check.js';
import type { Context } from '../engine/context.js';
import { execStep, manualStep } from './steps.js';

export type PackageManager = 'brew' | 'apt-get' | 'dnf';

/** Package names per manager for the tools devenv installs. */
export const PACKAGES: Record<string, Partial<Record<PackageManager, string>>> = {
  ruby: { brew: 'ruby', 'apt-get': 'ruby', dnf: 'ruby' },
  'gnu-tar': { brew: 'gnu-tar', 'apt-get': 'tar', dnf: 'tar' },
  docker: { brew: 'docker', 'apt-get': 'docker.io', dnf: 'moby-engine' },
  git: { brew: 'git', 'apt-get': 'git', dnf: 'git' },
};

export async function detectPackageManager(ctx: Context): Promise<PackageManager | undefined> {
  const order: PackageManager[] = ctx.platform === 'darwin' ? ['brew'] : ['apt-get', 'dnf', 'brew'];
  for (const pm of order) if (await ctx.which(pm)) return pm;
  return undefined;
}

/** Steps that install `tool` (a key of PACKAGES); a manual step when no manager is found. */
export async function installSteps(ctx: Context, tool: string): Promise<FixStep[]> {
  const pm = await detectPackageManager(ctx);
  const pkg = pm ? PACKAGES[tool]?.[pm] : undefined;
  if (!pm || !pkg) return [manualStep(`install ${tool} with your system's package manager`)];
  // --offline contacts no host: a package install would, so it is the person's step for when they have network.
  if (ctx.config.network.offline) return [manualStep(`install ${tool} (${pm} install ${pkg}) when you have network: --offline contacts no host`)];
  const sudo = pm !== 'brew' && !ctx.isRoot ? await ctx.which('sudo') : null;
  const env = pm === 'apt-get' ? { ...ctx.env, DEBIAN_FRONTEND: 'noninteractive' } : undefined;
  const step = (cmd: string, args: string[]) =>
    sudo ? execStep('sudo', [cmd, ...args], { consent: true, env }) : execStep(cmd, args, { consent: true, env });
  switch (pm) {
    case 'brew':
      return [step('brew', ['install', pkg])];
    case 'apt-get':
      return [step('apt-get', ['update']), step('apt-get', ['install', '-y', pkg])];
    case 'dnf':
      return [step('dnf', ['install', '-y', pkg])];
  }
}
