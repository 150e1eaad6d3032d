/**
 * Base images read from every Dockerfile in a checkout: FROM lines with ARG
 * defaults substituted, stage names (`FROM x AS y`, then `FROM y`) recognised.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readTextCapped } from '../platform/files.js';

export interface FromRef {
  /** The image reference after ARG substitution. */
  image: string;
  /** repo-relative file */
  file: string;
  line: number;
  /** true when ARGs could not all be substituted (the reference still has `$`). */
  unresolved: boolean;
}

const SKIP_DIRS = new Set(['vendor', 'out', '.git', 'node_modules', '.devenv-tmp']);

export function isDockerfileName(name: string): boolean {
  return name === 'Dockerfile' || name.startsWith('Dockerfile.') || name.endsWith('.Dockerfile') || name.endsWith('.dockerfile');
}

/** Repo-relative paths of every Dockerfile below `root`, skipping vendor/, out/, .git/. */
export async function findDockerfiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.map(async (e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) await walk(p);
        } else if (e.isFile() && isDockerfileName(e.name)) {
          out.push(path.relative(root, p));
        }
      }),
    );
  }
  await walk(root);
  return out.sort();
}

function substitute(value: string, args: Map<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, op, word, bare) => {
    const name = braced ?? bare;
    const v = args.get(name);
    if (op === '-') return v ? v : word;
    if (op === '+') return v ? word : '';
    return v === undefined ? whole : v;
  });
}

/** Joins continuation lines, keeping the number of the line each instruction starts on. */
function instructions(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  let cur: { line: number; text: string } | undefined;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!cur && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (cur && trimmed.startsWith('#')) return;
    const cont = /\\\s*$/.test(raw);
    const piece = raw.replace(/\\\s*$/, '');
    if (!cur) cur = { line: i + 1, text: piece };
    else cur.text += ' ' + piece.trim();
    if (!cont) {
      out.push({ line: cur.line, text: cur.text.trim() });
      cur = undefined;
    }
  });
  if (cur) out.push({ line: cur.line, text: cur.text.trim() });
  return out;
}

/** The images a Dockerfile builds FROM (not stage references, not `scratch`). */
export function parseFroms(text: string, file: string): FromRef[] {
  const args = new Map<string, string | undefined>();
  const stages = new Set<string>();
  const out: FromRef[] = [];
  for (const ins of instructions(text)) {
    const m = /^(\w+)\s+(.*)$/.exec(ins.text);
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'ARG') {
      // Only ARGs before the first FROM (global) apply to FROM lines; later ones are stage-scoped.
      if (out.length > 0 || stages.size > 0) continue;
      for (const decl of m[2].split(/\s+/)) {
        const eq = decl.indexOf('=');
        const name = eq < 0 ? decl : decl.slice(0, eq);
        let value = eq < 0 ? undefined : decl.slice(eq + 1);
        if (value && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
        args.set(name, value === undefined ? undefined : substitute(value, args));
      }
    } else if (op === 'FROM') {
      const words = m[2].split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', args);
      const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
      const isStage = stages.has(image.toLowerCase());
      if (asIdx > 0 && words[asIdx + 1]) stages.add(words[asIdx + 1].toLowerCase());
      if (!image || isStage || image === 'scratch') continue;
      out.push({ image, file, line: ins.line, unresolved: image.includes('$') });
    }
  }
  return out;
}

/** `gcr.io/distroless/static` → `gcr.io/distroless/static:latest`; digests and tags kept. */
export function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export async function readBaseImages(root: string): Promise<FromRef[]> {
  const files = await findDockerfiles(root);
  const all = await Promise.all(
    files.map(async (f) => {
      const text = await readTextCapped(path.join(root, f));
      return text === undefined ? [] : parseFroms(text, f);
    }),
  );
  return all.flat();
}
