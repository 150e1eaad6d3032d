/**
 * Container builds: whether `make` runs inside the build-tools container
 * (the effective BUILD_WITH_CONTAINER) and which image that is (IMG), each
 * read from the tree with the file and line it came from.
 *
 * - BUILD_WITH_CONTAINER: the environment wins (make's `?=` never overrides
 *   it), then `Makefile.overrides.mk` (included first by `Makefile`), then
 *   `Makefile`'s own `export BUILD_WITH_CONTAINER ?= 0`. 1.1–1.3 have neither.
 * - IMG: the environment wins; 1.4–1.5 set `IMG ?=` in `Makefile`; from 1.6
 *   `common/scripts/setup_env.sh` builds
 *   `${TOOLS_REGISTRY_PROVIDER}/${PROJECT_ID}/${IMAGE_NAME}:${IMAGE_VERSION}`
 *   (gcr.io/istio-testing up to 1.24, registry.istio.io/testing from 1.30),
 *   each part overridable from the environment.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Context, Env } from '../engine/context.js';

export interface BuildMode {
  /** true when make runs every target inside the build-tools container. */
  container: boolean;
  /** The effective value ("1", "0", "" …). */
  value: string;
  /** `environment` or `Makefile.overrides.mk:21`. */
  source: string;
}

export interface BuildImage {
  /** The effective IMG. */
  image: string;
  /** Where it was read: `environment (IMG)`, `Makefile:59`, `common/scripts/setup_env.sh:96`. */
  source: string;
  /** More provenance (IMAGE_VERSION line, registry parts and their origin). */
  details: string[];
  /**
   * The same tag under the other registry Istio publishes build-tools to:
   * `registry.istio.io/testing/…` ↔ `gcr.io/istio-testing/…` (istio/istio#61589).
   */
  alternates: string[];
}

async function readText(root: string, rel: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(root, rel), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

interface Assign {
  op: string;
  value: string;
  line: number;
}

/** Top-level make assignments of `name` (with or without `export`), in file order. */
function makeAssignments(text: string, name: string): Assign[] {
  const out: Assign[] = [];
  const re = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*(\\?=|:=|::=|=)\\s*([^#]*)`);
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = re.exec(raw);
    if (m) out.push({ op: m[1], value: m[2].trim(), line: i + 1 });
  });
  return out;
}

/**
 * make's answer for a variable assigned in `files` (read in include order),
 * ignoring conditionals: `?=` takes effect only while the variable is unset,
 * `=`/`:=` always do.
 */
function effectiveMakeValue(files: { file: string; text: string }[], name: string): { value: string; file: string; line: number } | undefined {
  let cur: { value: string; file: string; line: number } | undefined;
  for (const f of files) {
    for (const a of makeAssignments(f.text, name)) {
      if (a.op === '?=' && cur) continue;
      cur = { value: a.value, file: f.file, line: a.line };
    }
  }
  return cur;
}

/** The effective BUILD_WITH_CONTAINER, or undefined when the tree has no container mode (1.1–1.3). */
export async function readBuildMode(root: string, env: Env): Promise<BuildMode | undefined> {
  const [overrides, makefile] = await Promise.all([readText(root, 'Makefile.overrides.mk'), readText(root, 'Makefile')]);
  const files = [
    ...(overrides === undefined ? [] : [{ file: 'Makefile.overrides.mk', text: overrides }]),
    ...(makefile === undefined ? [] : [{ file: 'Makefile', text: makefile }]),
  ];
  const fromTree = effectiveMakeValue(files, 'BUILD_WITH_CONTAINER');
  if (!fromTree) return undefined;
  const fromEnv = env.BUILD_WITH_CONTAINER;
  if (fromEnv !== undefined) return { container: fromEnv.trim() === '1', value: fromEnv, source: 'environment' };
  return { container: fromTree.value === '1', value: fromTree.value, source: `${fromTree.file}:${fromTree.line}` };
}

/** `BUILD_WITH_CONTAINER=1, Makefile.overrides.mk:21` */
export function describeMode(mode: BuildMode): string {
  return `BUILD_WITH_CONTAINER=${mode.value}, ${mode.source}`;
}

interface ShellAssign {
  value: string;
  line: number;
}

/** `NAME=value`, `export NAME=value`, `NAME="${NAME:-default}"` lines of a shell script, in order. */
function shellAssignments(text: string, name: string): ShellAssign[] {
  const out: ShellAssign[] = [];
  const re = new RegExp(`^\\s*(?:export\\s+)?${name}=(.*)$`);
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = re.exec(raw);
    if (!m) return;
    let v = m[1].trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1);
    out.push({ value: v, line: i + 1 });
  });
  return out;
}

/** Expands `${X}`, `${X:-word}` and `$X` with `vars`; undefined when something stays unknown. */
function expandShell(value: string, vars: Map<string, string>): string | undefined {
  let unknown = false;
  const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_w, braced: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = vars.get(name);
    if (v !== undefined && v !== '') return v;
    if (word !== undefined) {
      const inner = expandShell(word, vars);
      if (inner === undefined) unknown = true;
      return inner ?? '';
    }
    unknown = true;
    return '';
  });
  return unknown ? undefined : out;
}

const ISTIO_IO_TESTING = 'registry.istio.io/testing/';
const GCR_TESTING = 'gcr.io/istio-testing/';

/** The same tag under Istio's other build-tools registry (istio/istio#61589). */
export function alternateBuildImages(image: string): string[] {
  if (image.startsWith(ISTIO_IO_TESTING)) return [GCR_TESTING + image.slice(ISTIO_IO_TESTING.length)];
  return [];
}

/** The build-tools image the tree's container mode runs, or undefined when the tree names none (1.1–1.3). */
export async function readBuildImage(root: string, env: Env): Promise<BuildImage | undefined> {
  const [makefile, setup] = await Promise.all([readText(root, 'Makefile'), readText(root, 'common/scripts/setup_env.sh')]);
  const fromMakefile = makefile === undefined ? undefined : effectiveMakeValue([{ file: 'Makefile', text: makefile }], 'IMG');
  let tree: { image: string; source: string; details: string[] } | undefined;
  if (fromMakefile && fromMakefile.value && !fromMakefile.value.includes('$')) {
    tree = { image: fromMakefile.value, source: `Makefile:${fromMakefile.line}`, details: [] };
  } else if (setup !== undefined) {
    tree = readSetupEnv(setup, env);
  }
  if (!tree) return undefined;
  const fromEnv = env.IMG?.trim();
  if (fromEnv) {
    return {
      image: fromEnv,
      source: 'environment (IMG)',
      details: [`the tree's own IMG is ${tree.image} (${tree.source})`, ...tree.details],
      alternates: alternateBuildImages(fromEnv),
    };
  }
  return { ...tree, alternates: alternateBuildImages(tree.image) };
}

const SETUP_ENV = 'common/scripts/setup_env.sh';

function readSetupEnv(text: string, env: Env): { image: string; source: string; details: string[] } | undefined {
  const img = shellAssignments(text, 'IMG').find((a) => a.value.includes('IMAGE_VERSION'));
  if (!img) return undefined;
  const vars = new Map<string, string>();
  const details: string[] = [];
  // Each part: the environment when set, else the script's default (the `${X:-default}` form or a plain assignment).
  for (const name of ['TOOLS_REGISTRY_PROVIDER', 'PROJECT_ID', 'IMAGE_NAME', 'IMAGE_VERSION']) {
    const fromEnv = env[name];
    if (fromEnv) {
      vars.set(name, fromEnv);
      details.push(`${name}=${fromEnv} (environment)`);
      continue;
    }
    const a = shellAssignments(text, name).find((x) => !x.value.startsWith(`\${${name}}`));
    if (!a) continue;
    const v = expandShell(a.value, new Map());
    if (v === undefined) continue;
    vars.set(name, v);
    details.push(`${name}=${v} (${SETUP_ENV}:${a.line})`);
  }
  // IMG="${IMG:-<template>}": the template is what applies when IMG is unset.
  const m = /^\$\{IMG:-(.*)\}$/.exec(img.value);
  const image = expandShell(m ? m[1] : img.value, vars);
  if (!image) return undefined;
  if (env.LATEST_CACHED_IMAGE) details.push('LATEST_CACHED_IMAGE is set: setup_env.sh picks the newest cached local image instead (devenv checks the pinned one)');
  return { image, source: `${SETUP_ENV}:${img.line}`, details };
}

/**
 * appliesTo for host toolchain checks (Go, ruby, fpm, GNU tar): in a container
 * build every make target runs inside IMG, so the host's copies do not gate
 * `make` (Docker does, through docker-daemon and build-tools-image).
 */
export async function hostToolchainApplies(ctx: Pick<Context, 'root' | 'env' | 'memo'>): Promise<true | string> {
  if (!ctx.root) return true;
  const root = ctx.root;
  const mode = await ctx.memo('build-mode', () => readBuildMode(root, ctx.env));
  if (!mode?.container) return true;
  return `not needed for container builds (${describeMode(mode)}); set BUILD_WITH_CONTAINER=0 to build on the host`;
}
