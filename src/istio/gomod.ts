/** Reads go.mod: module path, `go` directive and `toolchain` line, with line numbers. */
import path from 'node:path';
import { readTextCapped } from '../platform/files.js';
import { istioMarkers } from './line.js';

export interface Located<T = string> {
  value: T;
  /** repo-relative file */
  file: string;
  /** 1-based line */
  line: number;
}

export interface GoMod {
  module?: string;
  go?: Located;
  toolchain?: Located;
}

export function parseGoMod(text: string, file = 'go.mod'): GoMod {
  const out: GoMod = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, '').trim();
    let m = /^module\s+"?([^\s"]+)"?$/.exec(line);
    if (m) out.module = m[1];
    m = /^go\s+(\d+\.\d+(?:\.\d+)?)$/.exec(line);
    if (m && !out.go) out.go = { value: m[1], file, line: i + 1 };
    m = /^toolchain\s+go(\d+\.\d+(?:\.\d+)?)(?:[^\s\d.]\S*)?$/.exec(line);
    if (m && !out.toolchain) out.toolchain = { value: m[1], file, line: i + 1 };
  });
  return out;
}

/** undefined when there is no go.mod; an unreadable or oversized one is an error naming it. */
export async function readGoMod(root: string): Promise<GoMod | undefined> {
  const text = await readTextCapped(path.join(root, 'go.mod'));
  return text === undefined ? undefined : parseGoMod(text);
}

export { ISTIO_MODULE } from './line.js';

/**
 * The nearest ancestor of `dir` (inclusive) that is an Istio tree by its own
 * markers: go.mod module istio.io/istio, Gopkg naming it (1.1), or istio.deps +
 * Makefile + bin/init.sh (see istioMarkers).
 */
export async function findIstioRoot(dir: string): Promise<string | null> {
  let cur = path.resolve(dir);
  for (;;) {
    if (await istioMarkers(cur)) return cur;
    const parent = path.dirname(cur);
    if (parent === cur) return null;
    cur = parent;
  }
}
