import type { IstioCheck } from '../src/istio/project.js';
import { hostToolchainApplies } from '../src/istio/container.js';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { DevenvError } from '../src/platform/errors.js';
import { formatCommand } from '../src/platform/exec.js';
import { effectiveGoProxy, unreachableGoProxy } from '../src/features/goproxy.js';
import { manualStep } from '../src/features/steps.js';
import { resolveGo } from '../src/features/toolchains.js';
import { goRequirement } from './go-version.js';

/** The go binary module checks use: PATH's, or a devenv-installed one that satisfies the checkout. */
export async function goFor(ctx: Context): Promise<string> {
  const go = await resolveGo(ctx, goRequirement(ctx)?.version);
  if (!go) throw new DevenvError('go not found (devenv fix go-version)');
  return go;
}

export function goEnv(ctx: Context, extra: Record<string, string>): Record<string, string | undefined> {
  return { ...ctx.env, GOTOOLCHAIN: ctx.env.GOTOOLCHAIN ?? 'local', ...extra };
}

function tail(s: string, n = 3): string {
  return s.trim().split('\n').filter(Boolean).slice(-n).join(' | ');
}

/**
 * 1.2/1.3 commit vendor/ (with vendor/modules.txt) beside a `go 1.12` go.mod and build in GOPATH mode:
 * nothing is downloaded. Go ≥1.13 enters module mode on its own and wants the network unless
 * GOFLAGS=-mod=vendor (or Go 1.12) is used, so that is what is checked and advised.
 */
async function vendorMode(ctx: Context): Promise<CheckResult> {
  const dep = ctx.project!.line.depMode;
  const source = `${dep.file}:${dep.line}`;
  const flags = ctx.env.GOFLAGS ?? '';
  if (/(^|\s)-mod=vendor(\s|$)/.test(flags)) {
    return { status: 'ok', summary: 'builds from the committed vendor/ (GOFLAGS=-mod=vendor): no module downloads needed', found: `GOFLAGS=${flags}`, required: 'GOFLAGS=-mod=vendor or Go 1.12', source };
  }
  const go = await goFor(ctx);
  const r = await ctx.exec(go, ['env', 'GOVERSION'], { env: goEnv(ctx, {}) });
  const version = r.ok ? r.stdout.trim() : '';
  if (/^go1\.12(\.|$)/.test(version)) {
    return { status: 'ok', summary: `${version} builds this GOPATH-mode tree from its committed vendor/`, found: version, required: 'GOFLAGS=-mod=vendor or Go 1.12', source };
  }
  return {
    status: 'warn',
    summary: `this line builds from its committed vendor/ in GOPATH mode, but ${version || 'this go'} enters module mode (go.mod exists) and would download modules`,
    found: version ? `${version}, GOFLAGS=${flags || '(unset)'}` : `GOFLAGS=${flags || '(unset)'}`,
    required: 'GOFLAGS=-mod=vendor or Go 1.12',
    source,
    hint: 'export GOFLAGS=-mod=vendor, e.g. eval "$(devenv shellenv)" (or build with Go 1.12); this line needs no module downloads',
  };
}

export const goModules = {
  id: 'go-modules',
  title: 'Go modules downloaded',
  category: 'repository',
  needs: ['go-version'],
  description:
    'Every module the build needs is already in the module cache: `GOFLAGS=-mod=mod GOPROXY=off go mod download` succeeds in the checkout (no network needed). On 1.2/1.3 (committed vendor/, GOPATH mode) nothing is downloaded: it checks GOFLAGS=-mod=vendor (or Go 1.12) instead.',
  fixDescription: 'Runs `GO111MODULE=on go mod download` in the checkout, with GOPROXY from go.proxy when configured, stopped after fix.commandTimeoutMs (default 20 min). On 1.2/1.3 there is nothing to run: it prints the GOFLAGS advice.',
  // In container builds make runs go inside build-tools with its own module cache (a docker volume), not the host's.
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : !ctx.project?.goMod.module ? 'no go.mod (dep-era checkout)' : hostToolchainApplies(ctx)),
  async run(ctx): Promise<CheckResult> {
    if (ctx.project?.line.depMode.value === 'vendor-gopath') return vendorMode(ctx);
    const go = await goFor(ctx);
    const r = await ctx.exec(go, ['mod', 'download'], { cwd: ctx.root!, env: goEnv(ctx, { GOFLAGS: '-mod=mod', GOPROXY: 'off', GO111MODULE: 'on' }) });
    if (r.ok) return { status: 'ok', summary: 'all modules are in the module cache', found: 'complete', source: 'go.mod' };
    const missing = (r.stderr.match(/module lookup disabled by GOPROXY=off|missing|not found/g) ?? []).length;
    // go prints one "module lookup disabled by GOPROXY=off" per module it lacks (without naming it, before Go 1.21): count them
    const lacking = (r.stderr.match(/module lookup disabled by GOPROXY=off/g) ?? []).length;
    return {
      status: 'fail',
      summary:
        lacking > 0
          ? `the module cache lacks ${lacking} module${lacking === 1 ? '' : 's'} of go.mod (go mod download, looked up with no network)`
          : `the module cache is incomplete: ${tail(r.stderr || r.stdout, 1)}`,
      found: missing ? 'incomplete' : 'error',
      source: 'go.mod',
      hint: `devenv fix go-modules${ctx.config.go.proxy ? '' : ' (set go.proxy in the devenv config for a Go module mirror)'}`,
      details: (r.stderr || r.stdout).trim().split('\n').slice(0, 10),
    };
  },
  async fix(ctx, result) {
    if (ctx.project?.line.depMode.value === 'vendor-gopath') {
      // Nothing to download: the modules are the committed vendor/. What remains is the person's to do.
      void result;
      return {
        notes: ['This line builds from its committed vendor/ in GOPATH mode; devenv downloads no modules for it.'],
        steps: [manualStep('export GOFLAGS=-mod=vendor   (eval "$(devenv shellenv)" sets it for this checkout; or build with Go 1.12)')],
      };
    }
    const go = await goFor(ctx);
    const extra: Record<string, string> = { GO111MODULE: 'on' };
    if (ctx.config.go.proxy) extra.GOPROXY = ctx.config.go.proxy;
    const prefix = Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ');
    return {
      steps: [
        {
          kind: 'exec',
          describe: `${prefix} ${formatCommand(go, ['mod', 'download'])}  (in ${ctx.root})`,
          command: { cmd: go, args: ['mod', 'download'] },
          run: async (c) => {
            const limit = c.config.fix.commandTimeoutMs;
            const env = goEnv(c, extra);
            // No route to the module proxy: say so in a second, not after go tried every module of go.mod.
            const unreachable = await unreachableGoProxy(c, await effectiveGoProxy(c, go, env));
            if (unreachable) throw unreachable;
            const r = await c.exec(go, ['mod', 'download'], { cwd: c.root!, env, timeoutMs: limit, tree: true });
            if (r.timedOut) {
              throw new DevenvError(`go mod download did not finish within ${Math.round(limit / 1000)} s (fix.commandTimeoutMs) and was stopped`, {
                suggestions: ['Raise fix.commandTimeoutMs in the devenv config if it is merely slow, or check go.proxy (GOPROXY).'],
              });
            }
            if (!r.ok) throw new DevenvError(`go mod download failed: ${tail(r.stderr || r.stdout)}`, { suggestions: ['Check go.proxy (GOPROXY) in the devenv config.'] });
          },
        },
      ],
    };
  },
} satisfies IstioCheck;
