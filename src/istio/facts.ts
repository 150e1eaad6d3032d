/** Facts about an Istio checkout that several checks share. */
import path from 'node:path';
import { readTextCapped } from '../platform/files.js';
import { readGoMod, type GoMod, type Located } from './gomod.js';
import { readReleaseLine, type ReleaseLine } from './line.js';
import { findMakeVar, readMakeVars, type MakeVar } from './makefile.js';

export interface IstioFacts {
  root: string;
  goMod: GoMod;
  makeVars: MakeVar[];
  /** `GO_VERSION_REQUIRED` (Makefile ≤1.3, Makefile.core.mk 1.4+), when the tree has it. */
  goVersionRequired?: Located;
  /** The checkout's version: `VERSION` file (1.20+) or `VERSION ?=` in the Makefiles. */
  version?: Located;
  /** The release-line model: recognition, layout, dependency mode, init scripts (src/istio/line.ts). */
  line: ReleaseLine;
}

export async function readIstioFacts(root: string): Promise<IstioFacts> {
  const [goMod, makeVars] = await Promise.all([readGoMod(root), readMakeVars(root)]);
  const line = await readReleaseLine(root, goMod, makeVars);
  const facts: IstioFacts = { root, goMod: goMod ?? {}, makeVars, line };
  const gvr = findMakeVar(makeVars, 'GO_VERSION_REQUIRED');
  if (gvr && /^\d+\.\d+(\.\d+)?$/.test(gvr.value)) facts.goVersionRequired = gvr;
  const text = await readTextCapped(path.join(root, 'VERSION'));
  if (text !== undefined) {
    const v = text.trim().split(/\r?\n/)[0];
    if (v) facts.version = { value: v, file: 'VERSION', line: 1 };
  } else {
    const v = findMakeVar(makeVars, 'VERSION');
    if (v && v.value && !v.value.includes('$')) facts.version = v;
  }
  return facts;
}

/** `go.mod:3` */
export function where(loc: Pick<Located, 'file' | 'line'>): string {
  return loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file;
}

/** The TAG to suggest for a checkout's version: `<version>-dev`, never `-dev-dev`. */
export function suggestedTag(version: string | null | undefined): string | undefined {
  if (!version) return undefined;
  return /-dev$/.test(version) ? version : `${version}-dev`;
}
