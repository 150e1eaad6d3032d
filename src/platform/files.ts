/** File operations for fixes: atomic copies, tarball members, backups. Nothing half-written is ever left at a destination. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DevenvError, errorMessage } from './errors.js';

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Copies via a temp file in the destination's directory and a rename. */
export async function copyAtomic(src: string, dest: string, mode?: number): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(4).toString('hex')}.part`);
  try {
    await fs.copyFile(src, tmp);
    if (mode !== undefined) await fs.chmod(tmp, mode);
    await fs.rename(tmp, dest);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Writes text via a temp file and a rename, keeping the original's mode. */
export async function writeAtomic(dest: string, text: string | Buffer): Promise<void> {
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(4).toString('hex')}.part`);
  try {
    const mode = (await fs.stat(dest).catch(() => undefined))?.mode;
    await fs.writeFile(tmp, text);
    if (mode !== undefined) await fs.chmod(tmp, mode & 0o7777);
    await fs.rename(tmp, dest);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Extracts one member of a .tar.gz (e.g. usr/local/bin/envoy) to `dest`, atomically. */
export async function extractMember(tarball: string, member: string, dest: string, mode = 0o755): Promise<void> {
  const tar = await import('tar');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'devenv-x-'));
  try {
    const want = member.replace(/^\.\//, '');
    await tar.x({ file: tarball, cwd: work, strict: true, filter: (p) => p.replace(/^\.\//, '') === want });
    const got = path.join(work, want);
    if (!(await exists(got))) throw new DevenvError(`${path.basename(tarball)} has no ${member}`);
    await copyAtomic(got, dest, mode);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * A text file's contents, or undefined when it does not exist. Any other
 * failure (EACCES, EISDIR…) is an error naming the file: unreadable is not absent.
 */
export async function readTextFile(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new DevenvError(`cannot read ${p}: ${code ?? errorMessage(err)}`, { suggestions: [`Check its permissions: ls -l ${p}`] });
  }
}
