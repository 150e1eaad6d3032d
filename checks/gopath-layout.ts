import type { IstioCheck } from '../src/istio/project.js';
import path from 'node:path';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { gopathFor } from '../src/features/shellenv.js';
import { manualStep } from '../src/features/steps.js';
import type { MakeVar } from '../src/istio/makefile.js';
import { where } from '../src/istio/facts.js';

const OUTPUT_VARS = ['GO_TOP', 'OUT_DIR', 'ISTIO_OUT', 'ISTIO_BIN', 'GOBIN'];

/**
 * The Makefile line that derives build output from $GOPATH, on the lines that do (1.1–1.4,
 * per the release-line model). 1.5+ Makefiles still define GO_TOP and GOBIN from GOPATH, but
 * write to ./out: there a checkout anywhere, with GOPATH unset, builds.
 */
export function gopathDerivedOutput(ctx: Context): MakeVar | undefined {
  if (ctx.project?.line.layout.value !== 'gopath') return undefined;
  return ctx.project?.makeVars.find((v) => OUTPUT_VARS.includes(v.name) && /\bGOPATH\b|\bGO_TOP\b/.test(v.value));
}

/**
 * What make does with GOPATH unset. The gopath-era Makefiles default it to the
 * directory three levels above the checkout (`GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)`),
 * so output lands there; 1.4's outer Makefile derives GOBIN before that default
 * is read (`export GOBIN ?= $(GOPATH)/bin` in Makefile, the default in
 * Makefile.core.mk), so `go install` writes to /bin.
 */
function unsetSummary(ctx: Context, derived: MakeVar): { summary: string; harmless: boolean } {
  const vars = ctx.project?.makeVars ?? [];
  const fallback = vars.find((v) => v.name === 'GOPATH' && v.op === '?=' && v.value.includes('../../..'));
  if (!fallback) return { summary: `GOPATH is not set; ${derived.name} is derived from it (${where(derived)}), so the build would write to /out and /bin`, harmless: false };
  const top = path.resolve(ctx.root!, '../../..');
  const gobin = vars.find((v) => v.name === 'GOBIN' && /\$\(GOPATH\)/.test(v.value) && v.file !== fallback.file);
  const inPlace = gopathFor(ctx.root!) === top;
  const summary =
    `GOPATH is not set: make takes ${top}, three levels above the checkout (${where(fallback)}), as GOPATH, so the build writes to ${path.join(top, 'out')} and ${path.join(top, 'bin')}` +
    (gobin ? `, and GOBIN is /bin (${where(gobin)}: derived before that default)` : inPlace ? '; go commands run outside make use ~/go instead' : '');
  // In place and no GOBIN derived too early: make builds; only hand-run go commands miss it.
  return { summary, harmless: inPlace && !gobin };
}

export const gopathLayout = {
  id: 'gopath-layout',
  title: 'GOPATH layout',
  category: 'repository',
  description:
    'For checkouts whose Makefiles derive output paths from $GOPATH (1.1–1.4): GOPATH is set in the environment, the checkout sits at $GOPATH/src/istio.io/istio, and GO111MODULE suits the line (off for 1.1\'s dep tree, on for 1.4; 1.2/1.3 build from their committed vendor/). On 1.5+ it does not apply: a checkout anywhere, with GOPATH unset, builds.',
  fixDescription:
    'When the checkout already sits at <X>/src/istio.io/istio: the exports go into `devenv shellenv`. Otherwise prints the exact commands to move or link the checkout (never moves it itself).',
  appliesTo(ctx) {
    if (!ctx.root) return 'not in an Istio checkout';
    return gopathDerivedOutput(ctx) ? true : 'this checkout does not derive its output paths from GOPATH';
  },
  async run(ctx): Promise<CheckResult> {
    const derived = gopathDerivedOutput(ctx)!;
    const source = where(derived);
    const root = ctx.root!;
    const gopathEnv = ctx.env.GOPATH;
    const details = [
      `${derived.name} ${derived.op} ${derived.value} (${source})`,
      `GOPROXY=${ctx.env.GOPROXY ?? '(unset: the Makefile default applies)'}`,
      `GOFLAGS=${ctx.env.GOFLAGS ?? '(unset)'}`,
    ];
    const first = gopathEnv?.split(path.delimiter)[0];
    const expected = first ? path.join(first, 'src', 'istio.io', 'istio') : undefined;
    const at = gopathFor(root);
    if (!first) {
      const unset = unsetSummary(ctx, derived);
      return {
        status: unset.harmless ? 'warn' : 'fail',
        summary: unset.summary,
        found: 'GOPATH unset',
        required: at ? `GOPATH=${at}` : 'GOPATH set, checkout at $GOPATH/src/istio.io/istio',
        source,
        hint: at ? 'eval "$(devenv shellenv)" (sets GOPATH and GO111MODULE)' : 'devenv fix gopath-layout --dry-run shows how to place the checkout',
        details,
      };
    }
    if (path.resolve(expected!) !== root) {
      return {
        status: 'fail',
        summary: `the checkout is at ${root}, not at $GOPATH/src/istio.io/istio (${expected})`,
        found: root,
        required: expected,
        source,
        hint: at ? `Set GOPATH=${at}: eval "$(devenv shellenv)"` : 'devenv fix gopath-layout --dry-run shows how to place the checkout',
        details,
      };
    }
    const mod = ctx.env.GO111MODULE;
    const depMode = ctx.project?.line.depMode;
    if (depMode?.value === 'dep') {
      // 1.1: no go.mod; Go ≥1.16 defaults to module mode, which cannot build it.
      const where1 = `${depMode.file}:${depMode.line}`;
      if (mod === 'off') return { status: 'ok', summary: 'checkout at $GOPATH/src/istio.io/istio, GO111MODULE=off (dep tree, GOPATH mode)', found: root, required: expected, source, details };
      return {
        status: mod === 'on' ? 'fail' : 'warn',
        summary: `this line uses dep (${where1}, no go.mod) and builds in GOPATH mode; GO111MODULE=${mod ?? '(unset)'} ${mod === 'on' ? 'makes go look for a go.mod' : 'means module mode on Go ≥1.16'}`,
        found: `GO111MODULE=${mod ?? 'unset'}`,
        required: 'GO111MODULE=off',
        source: where1,
        hint: 'export GO111MODULE=off (eval "$(devenv shellenv)" sets it for this line)',
        details,
      };
    }
    if (depMode?.value === 'vendor-gopath') {
      // 1.2/1.3: committed vendor/; GO111MODULE=on with GOFLAGS=-mod=vendor works (go-modules checks that).
      return { status: 'ok', summary: `checkout at $GOPATH/src/istio.io/istio; this line builds from its committed vendor/ (see go-modules for GOFLAGS)`, found: root, required: expected, source, details };
    }
    if (mod && mod !== 'on') {
      return { status: 'fail', summary: `GO111MODULE=${mod}; module-mode vendoring needs on`, found: `GO111MODULE=${mod}`, required: 'GO111MODULE=on', source, hint: 'export GO111MODULE=on', details };
    }
    if (!mod) {
      const fromMake = ctx.project?.makeVars.find((v) => v.name === 'GO111MODULE');
      return {
        status: 'warn',
        summary: `GOPATH and checkout location are right; GO111MODULE is unset${fromMake ? ` (make sets ${fromMake.op} ${fromMake.value} at ${where(fromMake)}, but go commands you run yourself do not)` : ''}`,
        found: 'GO111MODULE unset',
        required: 'GO111MODULE=on',
        source: fromMake ? where(fromMake) : source,
        hint: 'eval "$(devenv shellenv)" (exports GO111MODULE=on)',
        details,
      };
    }
    return { status: 'ok', summary: `checkout at $GOPATH/src/istio.io/istio, GO111MODULE=on`, found: root, required: expected, source, details };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(ctx) {
    const root = ctx.root!;
    const at = gopathFor(root);
    if (at) {
      return {
        notes: [`The checkout already sits at ${at}/src/istio.io/istio; devenv shellenv exports GOPATH=${at} and GO111MODULE=on.`],
        steps: [manualStep('eval "$(devenv shellenv)"   (add it to your shell profile to keep it)')],
      };
    }
    const gopath = ctx.env.GOPATH?.split(path.delimiter)[0] || path.join(ctx.paths.home, 'go');
    const target = path.join(gopath, 'src', 'istio.io', 'istio');
    return {
      notes: ['devenv never moves a checkout itself. Either move it, or link it (some tools resolve the link and see the old path; moving is safer):'],
      steps: [
        manualStep(`mkdir -p ${path.dirname(target)} && mv ${root} ${target}`),
        manualStep(`or: mkdir -p ${path.dirname(target)} && ln -s ${root} ${target}`),
        manualStep(`export GOPATH=${gopath} GO111MODULE=on; cd ${target}`),
      ],
    };
  },
} satisfies IstioCheck;
