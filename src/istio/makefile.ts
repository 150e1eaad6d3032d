/** Variables read from an Istio checkout's Makefiles, with their file and line. */
import path from 'node:path';
import { readTextCapped } from '../platform/files.js';
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
    // The name and operator by regex; the value by indexOf, so a long run of spaces costs linear time.
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\?=|:=|::=|\+=|=)/.exec(raw);
    if (!m) return;
    const rest = raw.slice(m[0].length);
    const hash = rest.indexOf('#');
    out.push({ name: m[1], op: m[2], value: (hash < 0 ? rest : rest.slice(0, hash)).trim(), file, line: i + 1 });
  });
  return out;
}

export async function readMakeVars(root: string): Promise<MakeVar[]> {
  const all: MakeVar[] = [];
  for (const f of MAKEFILES) {
    // Absent in this release line: skipped. Unreadable or oversized: an error naming it.
    const text = await readTextCapped(path.join(root, f));
    if (text !== undefined) all.push(...parseMakeVars(text, f));
  }
  return all;
}

/** The first assignment of `name` across the Makefiles in include order. */
export function findMakeVar(vars: MakeVar[], name: string): MakeVar | undefined {
  return vars.find((v) => v.name === name);
}
