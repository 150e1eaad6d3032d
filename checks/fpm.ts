import type { IstioCheck } from '../src/istio/project.js';
import { hostToolchainApplies } from '../src/istio/container.js';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { DevenvError } from '../src/platform/errors.js';
import { formatCommand } from '../src/platform/exec.js';
import type { FixStep } from '../src/engine/check.js';
import { findGemExecutable } from '../src/features/gems.js';
import { manualStep } from '../src/features/steps.js';

/** fpm on PATH, else in a gem bin dir (the same dirs `devenv shellenv` puts on PATH). */
export async function findFpm(ctx: Context): Promise<string | undefined> {
  return (await ctx.which('fpm')) ?? (await findGemExecutable(ctx, 'fpm'));
}

export function gemInstallArgs(ctx: Context): string[] {
  const args = ['install', '--no-document', 'fpm'];
  if (ctx.config.gem.source) args.push('--clear-sources', '--source', ctx.config.gem.source);
  if (!ctx.isRoot && !ctx.env.GEM_HOME) args.push('--user-install');
  return args;
}

export const fpm = {
  id: 'fpm',
  title: 'fpm (packaging)',
  category: 'toolchain',
  needs: ['ruby'],
  appliesTo: hostToolchainApplies,
  description: '`fpm --version` works (make deb / the docker.app_sidecar targets package with fpm).',
  fixDescription:
    'gem install --no-document fpm, from gem.source when configured (--clear-sources --source), system-wide as root, --user-install otherwise (the user gem bin dir then goes into devenv shellenv).',
  async run(ctx): Promise<CheckResult> {
    const bin = await findFpm(ctx);
    if (!bin) return { status: 'fail', summary: 'fpm not found on PATH or in the gem bin dir', found: 'missing', hint: 'devenv fix fpm' };
    const r = await ctx.exec(bin, ['--version']);
    const v = r.stdout.trim().split('\n')[0];
    if (!r.ok || !v) return { status: 'fail', summary: `fpm is broken: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.exitCode}`}`, found: 'broken', hint: 'devenv fix fpm' };
    const onPath = (await ctx.which('fpm')) === bin;
    return onPath
      ? { status: 'ok', summary: `fpm ${v} (${bin})`, found: v }
      : { status: 'warn', summary: `fpm ${v} is installed at ${bin} but not on PATH`, found: v, hint: 'eval "$(devenv shellenv)"' };
  },
  async fix(ctx) {
    const args = gemInstallArgs(ctx);
    const local = ctx.config.gem.source && /^(file:|\/)/.test(ctx.config.gem.source);
    if (ctx.config.network.offline && !local) {
      // --offline contacts no host: gem install from a remote source would.
      return { steps: [manualStep(`${formatCommand('gem', args)}   (when you have network: --offline contacts no host; a gem.source on this machine, file:// or a path, works offline)`)] };
    }
    const source = ctx.config.gem.source ?? 'the default gem source';
    const step: FixStep = {
      kind: 'exec',
      describe: formatCommand('gem', args),
      command: { cmd: 'gem', args },
      consent: true,
      run: async (c) => {
        const limit = c.config.fix.commandTimeoutMs;
        const r = await c.exec('gem', args, { timeoutMs: limit });
        if (r.timedOut) {
          throw new DevenvError(`gem install fpm from ${source} did not finish within ${Math.round(limit / 1000)} s (fix.commandTimeoutMs) and was stopped`, {
            suggestions: ['Raise fix.commandTimeoutMs in the devenv config if it is merely slow, or check gem.source.'],
          });
        }
        if (r.notFound) throw new DevenvError('gem: command not found (install ruby first: devenv fix ruby)');
        if (!r.ok) {
          const tail = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-3).join(' ');
          throw new DevenvError(`gem install fpm from ${source} failed: ${tail}`, { suggestions: ['Check gem.source in the devenv config, or the network.'] });
        }
      },
    };
    return { notes: ctx.isRoot || ctx.env.GEM_HOME ? [] : ['Installs into your user gem dir; eval "$(devenv shellenv)" puts it on PATH.'], steps: [step] };
  },
} satisfies IstioCheck;
