/** Variables read from an Istio checkout's Makefiles, with their file and line. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Located } from './gomod.js';

/** Makefiles in the order make reads them for the variables devenv needs. */
export const MAKEFILES = ['Makefile.overrides.mk', 'Makefile', 'Makefile.core.mk'];

export interface MakeVar extends Located {
  name: string;
  /** the assignment operator: =, :=, ?=, += */
  op: string;
}

/** All simple assignments `NAME op value` (also with `export`), first per name wins per file. */
export function parseMakeVars(text: string, file: string): MakeVar[] {
  const out: MakeVar[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m0 = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*(\?=|::=|:=|\+=|=)(.*)$/.exec(raw);
    const hash = m0 ? m0[3].indexOf('#') : -1;
    const m = m0 && [m0[0], m0[1], m0[2], (hash < 0 ? m0[3] : m0[3].slice(0, hash)).trim()];
    if (m) out.push({ name: m[1], op: m[2], value: m[3], file, line: i + 1 });
  });
  return out;
}

export async function readMakeVars(root: string): Promise<MakeVar[]> {
  const all: MakeVar[] = [];
  for (const f of MAKEFILES) {
    try {
      all.push(...parseMakeVars(await fs.readFile(path.join(root, f), 'utf8'), f));
    } catch {
      // absent in this release line
    }
  }
  return all;
}

/** The first assignment of `name` across the Makefiles in include order. */
export function findMakeVar(vars: MakeVar[], name: string): MakeVar | undefined {
  return vars.find((v) => v.name === name);
}
