/**
 * The release-line model: what kind of Istio tree this is, read from the
 * tree's own files, every fact with where it was read (file:line). Exposed to
 * checks as `ctx.project.line`; the per-machine plans (what `make init`
 * downloads, to where) are computed from it in src/istio/init.ts.
 *
 * Verified against the real trees at 1.1.0, 1.2.0, 1.3.0, 1.4.2, 1.5.0, 1.6.0,
 * 1.7.0, 1.8.0, 1.12.0, 1.16.0, 1.20.0, 1.24.0, 1.30.3 and master (see README,
 * "What devenv checks per release line").
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { versionLess } from '../platform/versions.js';
import { readTextCapped } from '../platform/files.js';
import type { GoMod, Located } from './gomod.js';
import type { MakeVar } from './makefile.js';

export type LayoutEra = 'gopath' | 'modern';
/** dep (1.1), committed vendor/ built in GOPATH mode (1.2–1.3), Go modules (1.4+). */
export type DepMode = 'dep' | 'vendor-gopath' | 'modules';

export interface ReleaseLine {
  /** the markers that made devenv take this for an Istio tree */
  recognisedBy: Located;
  /** GOPATH-derived outputs ($GOPATH/out/<os>_<arch>/…, 1.1–1.4) or ./out/<os>_<arch> (1.5+) */
  layout: Located<LayoutEra>;
  depMode: Located<DepMode>;
  /**
   * Where the tree states its Go requirement: go.mod's `go` and `toolchain` lines (1.2+) and the
   * Makefile's GO_VERSION_REQUIRED (1.1–1.4 enforce it through check-go-version). go-version takes the strictest.
   */
  go: Located[];
  /**
   * TARGET_OUT_LINUX: out/linux_amd64 whatever the target (1.5 Makefile, 1.6–1.8 setup_env.sh)
   * or out/linux_<TARGET_ARCH> (1.12+ setup_env.sh); absent on the GOPATH lines.
   */
  linuxOut?: Located<'amd64' | 'target-arch'>;
  /** prerequisites of `init:` in the Makefiles (e.g. init-ztunnel-rs on 1.18+) */
  initTargets?: Located<string[]>;
  /**
   * The stamp rule that runs bin/init.sh, on every line `$(ISTIO_OUT)/istio_is_init: bin/init.sh istio.deps`
   * (`$(TARGET_OUT)` from 1.14): make runs the script when the stamp is absent or older than a prerequisite.
   */
  initStamp?: Located<InitStamp>;
  /** the scripts `make init` runs, as text (absent on lines without them) */
  scripts: { init?: string; helm?: string; ztunnel?: string };
}

/** Absent is undefined; unreadable or oversized is an error naming the file (never "not there"). */
async function readText(root: string, rel: string): Promise<string | undefined> {
  return readTextCapped(path.join(root, rel));
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

export const ISTIO_MODULE = 'istio.io/istio';

/**
 * How `dir` is recognised as the root of an Istio tree, or undefined: a go.mod
 * declaring module istio.io/istio (1.2+), a Gopkg.toml/Gopkg.lock naming
 * istio.io/istio (1.1, dep), or Istio's own markers together: istio.deps, a
 * Makefile and bin/init.sh (every line has them).
 */
export async function istioMarkers(dir: string): Promise<Located | undefined> {
  const mod = await readText(dir, 'go.mod');
  if (mod !== undefined) {
    const lines = mod.split(/\r?\n/);
    const i = lines.findIndex((l) => /^\s*module\s+"?istio\.io\/istio"?\s*(?:\/\/.*)?$/.test(l));
    if (i >= 0) return { value: 'go.mod module istio.io/istio', file: 'go.mod', line: i + 1 };
  }
  for (const f of ['Gopkg.toml', 'Gopkg.lock']) {
    const text = await readText(dir, f);
    if (text === undefined) continue;
    const lines = text.split(/\r?\n/);
    const i = lines.findIndex((l) => /["\s]istio\.io\/istio["/]/.test(l));
    if (i >= 0) return { value: `${f} names istio.io/istio`, file: f, line: i + 1 };
  }
  const [deps, makefile, init] = await Promise.all(['istio.deps', 'Makefile', 'bin/init.sh'].map((f) => isFile(path.join(dir, f))));
  if (deps && makefile && init) return { value: 'istio.deps + Makefile + bin/init.sh', file: 'istio.deps', line: 1 };
  return undefined;
}

/**
 * Which layout the Makefiles use, read from how they define ISTIO_OUT: from
 * GO_TOP/GOPATH/OUT_DIR (1.1–1.4) or from TARGET_OUT (1.5+; those Makefiles
 * still define GO_TOP and GOBIN from GOPATH, so that decides nothing).
 */
export function readLayout(all: readonly MakeVar[], setupEnv?: string): Located<LayoutEra> {
  // A recipe line such as `TARGET_OUT=$(TARGET_OUT) ISTIO_BIN=… bin/init.sh` passes a variable; it defines nothing.
  const vars = all.filter((v) => !new RegExp(`\\$[({]${v.name}[)}]`).test(v.value));
  const outs = vars.filter((v) => v.name === 'ISTIO_OUT');
  const modern = outs.find((v) => /\bTARGET_OUT\b/.test(v.value));
  if (modern) return { value: 'modern', file: modern.file, line: modern.line };
  const gopath = outs.find((v) => /\b(GO_TOP|GOPATH|OUT_DIR)\b/.test(v.value));
  if (gopath) return { value: 'gopath', file: gopath.file, line: gopath.line };
  const outDir = vars.find((v) => v.name === 'OUT_DIR' && /\b(GO_TOP|GOPATH)\b/.test(v.value));
  if (outDir) return { value: 'gopath', file: outDir.file, line: outDir.line };
  const target = vars.find((v) => v.name === 'TARGET_OUT');
  if (target) return { value: 'modern', file: target.file, line: target.line };
  // 1.16+: TARGET_OUT comes from common/scripts/setup_env.sh, which the Makefile includes as out/.env
  const i = setupEnv?.split(/\r?\n/).findIndex((l) => /^\s*(?:export\s+)?TARGET_OUT=/.test(l)) ?? -1;
  if (i >= 0) return { value: 'modern', file: 'common/scripts/setup_env.sh', line: i + 1 };
  return { value: 'modern', file: 'Makefile', line: 0 };
}

export interface InitStamp {
  /** as written, e.g. `$(ISTIO_OUT)/istio_is_init` */
  target: string;
  /** the normal prerequisites (not the order-only ones after `|`), e.g. bin/init.sh, istio.deps */
  prereqs: string[];
}

/**
 * The rule whose recipe runs bin/init.sh and then touches its own target: `T: P… | O…`, a recipe of tab-led
 * lines, one of them `touch T` (or `touch $@`). Each line is matched on its own by patterns of disjoint classes.
 */
export function readInitStamp(texts: [string, string | undefined][]): Located<InitStamp> | undefined {
  for (const [file, text] of texts) {
    if (!text) continue;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const rule = /^([^\s:#=]+)[ \t]*:(?![:=])([^|#]*)/.exec(lines[i]);
      if (!rule) continue;
      const recipe: string[] = [];
      for (let j = i + 1; j < lines.length && lines[j].startsWith('\t'); j++) recipe.push(lines[j]);
      const target = rule[1];
      const touches = recipe.some((l) => {
        const t = /^\t@?touch\s+(\S+)\s*$/.exec(l);
        return t !== null && (t[1] === target || t[1] === '$@');
      });
      if (touches && recipe.some((l) => /(?:^|[\s/])bin\/init\.sh(?:\s|$)/.test(l) && !/^\t\s*@?#/.test(l))) {
        return { value: { target, prereqs: rule[2].trim().split(/\s+/).filter(Boolean) }, file, line: i + 1 };
      }
    }
  }
  return undefined;
}

/** `init: a b c` in the Makefiles, with its line. */
function readInitTargets(texts: [string, string | undefined][]): Located<string[]> | undefined {
  for (const [file, text] of texts) {
    if (!text) continue;
    const lines = text.split(/\r?\n/);
    const i = lines.findIndex((l) => /^init\s*:(?!=)/.test(l));
    if (i >= 0) {
      const deps = lines[i].replace(/^init\s*:/, '').replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
      return { value: deps, file, line: i + 1 };
    }
  }
  return undefined;
}

export async function readReleaseLine(root: string, goMod: GoMod | undefined, makeVars: readonly MakeVar[]): Promise<ReleaseLine> {
  const [recognised, init, helm, ztunnel, makefile, core, modulesTxt, gopkg, setupEnv] = await Promise.all([
    istioMarkers(root),
    readText(root, 'bin/init.sh'),
    readText(root, 'bin/init_helm.sh'),
    readText(root, 'bin/build_ztunnel.sh'),
    readText(root, 'Makefile'),
    readText(root, 'Makefile.core.mk'),
    isFile(path.join(root, 'vendor', 'modules.txt')),
    isFile(path.join(root, 'Gopkg.toml')),
    readText(root, 'common/scripts/setup_env.sh'),
  ]);
  let linuxOut: Located<'amd64' | 'target-arch'> | undefined;
  const fromMake = makeVars.find((v) => v.name === 'TARGET_OUT_LINUX' && /linux_/.test(v.value));
  if (fromMake) linuxOut = { value: /linux_amd64\b/.test(fromMake.value) ? 'amd64' : 'target-arch', file: fromMake.file, line: fromMake.line };
  else if (setupEnv) {
    const lines = setupEnv.split(/\r?\n/);
    const i = lines.findIndex((l) => /^\s*(?:export\s+)?TARGET_OUT_LINUX=.*linux_/.test(l));
    if (i >= 0) linuxOut = { value: /linux_amd64\b/.test(lines[i]) ? 'amd64' : 'target-arch', file: 'common/scripts/setup_env.sh', line: i + 1 };
  }
  const gomodule = makeVars.find((v) => v.name === 'GO111MODULE');
  let depMode: Located<DepMode>;
  if (!goMod?.module) depMode = { value: 'dep', file: gopkg ? 'Gopkg.toml' : 'go.mod (absent)', line: gopkg ? 1 : 0 };
  else if (gomodule) depMode = { value: 'modules', file: gomodule.file, line: gomodule.line };
  // 1.2/1.3: `go 1.12` with a committed vendor/ and no GO111MODULE in make (1.4+ say `GO111MODULE ?= on` and ignore vendor/).
  else if (modulesTxt && (!goMod.go || versionLess(goMod.go.value, '1.13'))) depMode = { value: 'vendor-gopath', file: 'vendor/modules.txt', line: 1 };
  else depMode = { value: 'modules', file: 'go.mod', line: goMod.go?.line ?? 1 };
  return {
    recognisedBy: recognised ?? { value: 'unrecognised', file: '', line: 0 },
    layout: readLayout(makeVars, setupEnv),
    depMode,
    go: [
      ...(goMod?.go ? [goMod.go] : []),
      ...(goMod?.toolchain ? [goMod.toolchain] : []),
      ...makeVars.filter((v) => v.name === 'GO_VERSION_REQUIRED' && /^\d+\.\d+(\.\d+)?$/.test(v.value)).slice(0, 1).map((v) => ({ value: v.value, file: v.file, line: v.line })),
    ],
    linuxOut,
    initTargets: readInitTargets([
      ['Makefile.core.mk', core],
      ['Makefile', makefile],
    ]),
    initStamp: readInitStamp([
      ['Makefile.core.mk', core],
      ['Makefile', makefile],
    ]),
    scripts: { init, helm, ztunnel },
  };
}
