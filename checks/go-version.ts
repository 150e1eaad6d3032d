import type { IstioCheck } from '../src/istio/project.js';
import { hostToolchainApplies } from '../src/istio/container.js';
import path from 'node:path';
import type { CheckResult, FixPlan } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { DevenvError } from '../src/platform/errors.js';
import { downloadBase, fetchGoIndex, goArch, goOs, installGo, pickRelease } from '../src/features/goinstall.js';
import { describeUrl } from '../src/platform/mirrors.js';
import { actionStep, manualStep } from '../src/features/steps.js';
import { goRoot, installedGos } from '../src/features/toolchains.js';
import { versionLess } from '../src/platform/versions.js';
import { where } from '../src/istio/facts.js';

export interface GoRequirement {
  version: string;
  source: string;
  /** Every requirement read, for the details line. */
  all: { version: string; source: string }[];
}

/** The strictest of go.mod's `go` directive, its `toolchain` line and the Makefile's GO_VERSION_REQUIRED. */
export function goRequirement(ctx: Context): GoRequirement | undefined {
  const facts = ctx.project;
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
  const bin = goBin.includes('/') ? goBin : await ctx.which(goBin);
  if (!bin) return { error: 'not found on PATH' };
  const r = await ctx.exec(bin, ['version'], { env: { ...ctx.env, GOTOOLCHAIN: 'local' }, cwd: '/' });
  const m = /go version go(\d+\.\d+(?:\.\d+|(?:alpha|beta|rc)\d+)?)/.exec(r.stdout);
  if (!r.ok || !m) return { path: bin, error: (r.stderr || r.stdout || `exit ${r.exitCode}`).trim().split('\n')[0] };
  return { version: m[1], path: bin };
}

/** What to install: config go.version (exact when x.y.z), else the repo's requirement (newest patch of its minor). */
function wanted(ctx: Context): { version: string; exact: boolean } | undefined {
  if (ctx.config.go.version) return { version: ctx.config.go.version, exact: /^\d+\.\d+\.\d+$/.test(ctx.config.go.version) };
  const req = goRequirement(ctx);
  return req ? { version: req.version, exact: false } : undefined;
}

export const goVersion = {
  id: 'go-version',
  title: 'Go toolchain',
  category: 'toolchain',
  appliesTo: hostToolchainApplies,
  description:
    "`go` is on PATH and at least the version the checkout requires (go.mod's go/toolchain lines and the Makefile's GO_VERSION_REQUIRED; the strictest wins). A Go that devenv installed counts too (with a reminder to put it on PATH).",
  fixDescription:
    'Installs the newest patch release of the required Go line (or go.version) from the Go download index (go.downloadBase, default https://go.dev/dl/; mirrors apply), sha256-verified, into $XDG_DATA_HOME/devenv/toolchains/go<version>. Never touches a system Go.',
  async run(ctx): Promise<CheckResult> {
    const req = goRequirement(ctx);
    const local = await localGoVersion(ctx);
    const details = req?.all.map((r) => `requires go ${r.version} (${r.source})`) ?? [];
    const satisfied = (v: string) => !req || !versionLess(v, req.version);
    if (local.version && !ctx.project) {
      return { status: 'ok', summary: `go ${local.version} (not in an Istio checkout: no requirement)`, found: local.version, details: [local.path!] };
    }
    if (local.version && !req) {
      return {
        status: 'warn',
        summary: `go ${local.version}; go.mod declares no go directive and no GO_VERSION_REQUIRED was found, so no requirement could be read`,
        found: local.version,
        source: 'go.mod',
        hint: 'Add a `go 1.x` line to go.mod, or check that this is a complete Istio checkout.',
      };
    }
    if (local.version && satisfied(local.version)) {
      return {
        status: 'ok',
        summary: `go ${local.version} satisfies >= ${req!.version}`,
        found: local.version,
        required: `>= ${req!.version}`,
        source: req!.source,
        details: [local.path!, ...details],
      };
    }
    // PATH has no (good) go: a toolchain devenv installed may still satisfy the requirement.
    const installed = (await installedGos(ctx)).find((g) => satisfied(g.version));
    if (installed) {
      return {
        status: 'warn',
        summary: `go ${installed.version} is installed at ${path.dirname(path.dirname(installed.bin))} but not first on PATH${local.version ? ` (PATH has go ${local.version})` : ''}`,
        found: `${installed.version} (devenv)`,
        required: req ? `>= ${req.version}` : undefined,
        source: req?.source,
        hint: 'Put it on PATH: eval "$(devenv shellenv)"',
        details: [installed.bin, ...details],
      };
    }
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
    return {
      status: 'fail',
      summary: `go ${local.version} is older than the required ${req!.version}`,
      found: local.version,
      required: `>= ${req!.version}`,
      source: req!.source,
      hint: `Install Go ${req!.version} or newer: devenv fix go-version`,
      details: [local.path!, ...details],
    };
  },
  async fix(ctx): Promise<FixPlan> {
    const w = wanted(ctx);
    if (!w) {
      return { steps: [manualStep('install Go from https://go.dev/dl/ (this checkout states no version; set go.version in the devenv config to have devenv install one)')] };
    }
    const req = goRequirement(ctx);
    const have = (await installedGos(ctx)).find((g) => (w.exact ? g.version === w.version : !req || !versionLess(g.version, req.version)));
    if (have) {
      // Already installed by an earlier fix: nothing to download again.
      return {
        notes: [`Go ${have.version} is already installed at ${path.dirname(path.dirname(have.bin))}; it only needs to be first on PATH.`],
        steps: [manualStep('eval "$(devenv shellenv)"   (add it to your shell profile to keep it)')],
      };
    }
    const { releases, url } = await fetchGoIndex(ctx);
    const os = goOs(ctx);
    const arch = goArch(ctx);
    const pick = pickRelease(releases, w.version, os, arch, { exact: w.exact });
    if (!pick) {
      throw new DevenvError(`the Go download index (${url}) has no ${os}-${arch} archive for go ${w.exact ? w.version : `${w.version} (newest patch)`}`);
    }
    const version = pick.release.version.replace(/^go/, '');
    const dest = goRoot(ctx, version);
    return {
      notes: [`Installs Go ${version} beside any system Go; afterwards run: eval "$(devenv shellenv)"`],
      steps: [
        actionStep(
          'install',
          `download ${describeUrl(downloadBase(ctx) + pick.file.filename, ctx.config)} (sha256 ${pick.file.sha256}), extract to ${dest}`,
          async (c) => void (await installGo(c, pick.release, pick.file)),
        ),
        // Only the person's shell can change its PATH: if Go is not first on it afterwards, this is what remains.
        manualStep('eval "$(devenv shellenv)"   (add it to your shell profile to keep it)'),
      ],
    };
  },
} satisfies IstioCheck;
