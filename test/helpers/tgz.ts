import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A .tar.gz made by the real GNU tar in `dir` from `files` (relative path → content), in `format`. */
export async function tgz(dir: string, name: string, files: Record<string, Buffer | string>, opts: { format?: string; dotSlash?: boolean } = {}): Promise<string> {
  const src = path.join(dir, `src-${name}`);
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await fs.writeFile(path.join(src, rel), content);
  }
  const out = path.join(dir, name);
  const members = opts.dotSlash ? ['.'] : Object.keys(files).map((f) => f.split('/')[0]).filter((v, i, a) => a.indexOf(v) === i);
  execFileSync('tar', ['-C', src, `--format=${opts.format ?? 'gnu'}`, '-czf', out, ...members]);
  return out;
}

/** The archive with its first deflate block made invalid (reserved block type): zlib must refuse it. */
export function corruptGzip(archive: Buffer): Buffer {
  if (archive[0] !== 0x1f || archive[1] !== 0x8b || archive[3] !== 0) throw new Error('expected a gzip stream with no optional header fields');
  const bad = Buffer.from(archive);
  bad[10] = 0x07; // BFINAL=1, BTYPE=11 (reserved)
  return bad;
}
