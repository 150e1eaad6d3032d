import type { Check, CheckResult, FixPlan } from '../src/core/check.js';
import type { Context } from '../src/core/context.js';
import { manualStep } from '../src/core/steps.js';
import { versionLess } from '../src/core/versions.js';
import { where } from '../src/istio/facts.js';

export interface GoRequirement {
  version: string;
  source: string;
  /** Every requirement read, for the details line. */
  all: { version: string; source: string }[];
}

/** The strictest of go.mod's `go` directive, its `toolchain` line and the Makefile's GO_VERSION_REQUIRED. */
export function goRequirement(ctx: Context): GoRequirement | undefined {
  const facts = ctx.istio;
  if (!facts) return undefined;
  const all: { version: string; source: string }[] = [];
  if (facts.goMod.go) all.push({ version: facts.goMod.go.value, source: where(facts.goMod.go) });
  if (facts.goMod.toolchain) all.push({ version: facts.goMod.toolchain.value, source: where(facts.goMod.toolchain) });
  if (facts.goVersionRequired) all.push({ version: facts.goVersionRequired.value, source: where(facts.goVersionRequired) });
  if (all.length === 0) return undefined;
  const strictest = all.reduce((a, b) => (versionLess(a.version, b.version) ? b : a));
  return { ...strictest, all };
}

/** `go version` output → "1.19.8". GOTOOLCHAIN=local so Go ≥1.21 reports itself instead of switching. */
export async function localGoVersion(ctx: Context, goBin = 'go'): Promise<{ version?: string; path?: string; error?: string }> {
  const path = goBin.includes('/') ? goBin : await ctx.which(goBin);
  if (!path) return { error: 'not found on PATH' };
  const r = await ctx.exec(path, ['version'], { env: { ...ctx.env, GOTOOLCHAIN: 'local' }, cwd: '/' });
  const m = /go version go(\d+\.\d+(?:\.\d+)?\S*)/.exec(r.stdout);
  if (!r.ok || !m) return { path, error: (r.stderr || r.stdout || `exit ${r.exitCode}`).trim().split('\n')[0] };
  return { version: m[1], path };
}

function installSteps(ctx: Context, version: string): FixPlan {
  const os = ctx.platform === 'darwin' ? 'darwin' : 'linux';
  const arch = ctx.arch === 'arm64' ? 'arm64' : 'amd64';
  const file = `go${version}.${os}-${arch}.tar.gz`;
  return {
    notes: [`Go ${version} or newer is required; the steps below install it from go.dev.`],
    steps: [
      manualStep(`download https://go.dev/dl/${file} and check its sha256 against https://go.dev/dl/?mode=json&include=all`),
      manualStep(`sudo rm -rf /usr/local/go && sudo tar -C /usr/local -xzf ${file}`),
      manualStep('export PATH=/usr/local/go/bin:$PATH (add it to your shell profile)'),
    ],
  };
}

export const goVersion = {
  id: 'go-version',
  title: 'Go toolchain',
  category: 'toolchain',
  description: "`go` is on PATH and at least the version the checkout requires (go.mod's go/toolchain lines and the Makefile's GO_VERSION_REQUIRED, the strictest wins).",
  fixDescription: 'Prints the exact steps to install the required Go release for this platform.',
  async run(ctx): Promise<CheckResult> {
    const req = goRequirement(ctx);
    const local = await localGoVersion(ctx);
    const details = req?.all.map((r) => `requires go ${r.version} (${r.source})`);
    if (!local.version) {
      return {
        status: 'fail',
        summary: local.path ? `go is broken: ${local.error}` : 'go not found on PATH',
        found: local.path ? `broken (${local.path})` : 'missing',
        required: req ? `>= ${req.version}` : undefined,
        source: req?.source,
        hint: 'Install Go: devenv fix go-version',
        details,
      };
    }
    if (!ctx.istio) {
      return { status: 'ok', summary: `go ${local.version} (not in an Istio checkout: no requirement)`, found: local.version, details: [local.path!] };
    }
    if (!req) {
      return {
        status: 'warn',
        summary: `go ${local.version}; go.mod declares no go directive and no GO_VERSION_REQUIRED was found, so no requirement could be read`,
        found: local.version,
        source: 'go.mod',
        hint: 'Add a `go 1.x` line to go.mod, or check that this is a complete Istio checkout.',
      };
    }
    const ok = !versionLess(local.version, req.version);
    return {
      status: ok ? 'ok' : 'fail',
      summary: ok ? `go ${local.version} satisfies >= ${req.version}` : `go ${local.version} is older than the required ${req.version}`,
      found: local.version,
      required: `>= ${req.version}`,
      source: req.source,
      hint: ok ? undefined : `Install Go ${req.version} or newer: devenv fix go-version`,
      details: [`${local.path}`, ...(details ?? [])],
    };
  },
  async fix(ctx) {
    const req = goRequirement(ctx);
    return installSteps(ctx, ctx.config.go.version ?? req?.version ?? '1.22.0');
  },
} satisfies Check;
