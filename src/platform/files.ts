/** File operations for fixes: atomic copies, tarball members, backups. Nothing half-written is ever left at a destination. */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DevenvError } from './errors.js';

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

/** The first bytes of programs the kernel runs by itself: ELF, Mach-O (both byte orders, 32/64-bit, universal), and `#!` scripts. */
const PROGRAM_MAGIC = [[0x7f, 0x45, 0x4c, 0x46], [0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe], [0xca, 0xfe, 0xba, 0xbe], [0x23, 0x21]];

/**
 * Undefined when `p` is a program the kernel runs by itself; otherwise what it
 * starts with, for a message. A downloaded file is checked with this before it
 * is run: anything else (an HTML error page, a truncated or wrong file) would
 * not fail to start, because execvp(3) hands a file the kernel refuses to /bin/sh,
 * which runs its bytes as shell commands.
 */
export async function notAProgram(p: string): Promise<string | undefined> {
  const h = await fs.open(p, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(16);
    head = buf.subarray(0, (await h.read(buf, 0, buf.length, 0)).bytesRead);
  } finally {
    await h.close();
  }
  if (PROGRAM_MAGIC.some((m) => m.every((b, i) => head[i] === b))) return undefined;
  if (head.length === 0) return 'it is empty';
  const shown = [...head].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22 ? String.fromCharCode(b) : b === 0x22 ? '\\"' : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  return `it starts with "${shown}"`;
}

/**
 * The sha256 of a file, read in 1 MiB pieces into one buffer: no garbage
 * however large the file (a stream would hand over a fresh chunk per read).
 */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

/** Errors that mean "there is no such file" (everything else is a real failure to read). */
export function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENOTEMPTY: 'the directory is not empty',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EXDEV: 'it is on another file system',
  EBUSY: 'it is busy',
};

/** `EACCES` → "permission denied (EACCES)": a plain sentence with the code kept for searching. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  if (code) return code;
  return err instanceof Error ? err.message : String(err);
}

/** An error naming the file and what went wrong, e.g. "cannot read /src/go.mod: permission denied (EACCES)". */
export function fileError(verb: string, file: string, err: unknown): DevenvError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const suggestions = code === 'EACCES' || code === 'EPERM' ? [`Check its permissions: ls -l ${file}`] : [];
  return new DevenvError(`cannot ${verb} ${file}: ${describeFsError(err)}`, { suggestions, cause: err });
}

/** The largest file devenv reads from a tree (Makefiles, Dockerfiles, istio.deps, go.mod, .env). Istio's largest is far below 1 MiB. */
export const TREE_FILE_MAX_BYTES = 4 * 1024 * 1024;

/** A size for messages: `10 bytes`, `3 KiB`, `4 MiB`, `5.5 MiB`, `1.2 GiB`. */
export function humanSize(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}

/**
 * Reads a file of the tree as text, at most `maxBytes` (never more is read).
 * Absent (ENOENT, ENOTDIR): undefined. Unreadable (EACCES, EISDIR, EIO…) or
 * larger than the cap: an error naming the file, never "absent".
 */
export async function readTextCapped(file: string, maxBytes = TREE_FILE_MAX_BYTES, encoding: BufferEncoding = 'utf8'): Promise<string | undefined> {
  const buf = await readBytesCapped(file, maxBytes);
  return buf === undefined ? undefined : buf.toString(encoding);
}

export async function readBytesCapped(file: string, maxBytes = TREE_FILE_MAX_BYTES): Promise<Buffer | undefined> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw fileError('read', file, err);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw fileError('read', file, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
    const tooBig = () =>
      new DevenvError(`${file} is larger than ${humanSize(maxBytes)}${st.size > maxBytes ? ` (${humanSize(st.size)})` : ''}: devenv does not read files this large from a tree`, {
        suggestions: [`Check that ${file} is the file you mean (a generated or corrupted file?)`],
      });
    if (st.size > maxBytes) throw tooBig();
    // Read at most maxBytes + 1 whatever stat said (a growing file, a pipe, /proc).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(64 * 1024, maxBytes + 1 - total);
      if (want <= 0) throw tooBig();
      const b = Buffer.alloc(want);
      const { bytesRead } = await fh.read(b, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(b.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof DevenvError) throw err;
    throw fileError('read', file, err);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** `.<name>.devenv-<pid>-<hex>.part` beside `dest`: the pid lets a later run tell litter from a live write. */
export function partPath(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.devenv-${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Paths that some process has open right now (Linux /proc); undefined where that cannot be known. */
async function openFiles(): Promise<Set<string> | undefined> {
  let pids: string[];
  try {
    pids = (await fs.readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const open = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await fs.readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => undefined);
      if (target) open.add(target.replace(/ \(deleted\)$/, ''));
    }
  }
  return open;
}

/** How old an untagged temp file must be before it counts as litter where open files cannot be listed. */
export const STALE_TEMP_MS = 10 * 60_000;

/**
 * Removes litter an interrupted run left in `dir`: `.part` files (all of
 * them, or those of `base` only), and names matching `extra` (e.g. `.go*.tmp`
 * work dirs). A file tagged with a live devenv pid, or (untagged) open in a
 * process or younger than STALE_TEMP_MS where that cannot be known, is a
 * write in progress and is left alone. Returns what was removed.
 */
export async function sweepLitter(dir: string, opts: { base?: string; extra?: RegExp } = {}): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const prefix = opts.base === undefined ? '.' : `.${opts.base}.`;
  const candidates = names.filter((n) => (n.startsWith(prefix) && n.endsWith('.part')) || (opts.extra?.test(n) ?? false));
  if (candidates.length === 0) return [];
  let open: Set<string> | undefined | null = null;
  const removed: string[] = [];
  for (const n of candidates) {
    const p = path.join(dir, n);
    const tagged = /\.devenv-(\d+)-[0-9a-f]+(?:\.part|\.tmp)?$/.exec(n) ?? /[.-]devenv-(\d+)-/.exec(n);
    if (tagged) {
      if (pidAlive(Number(tagged[1]))) continue;
    } else {
      if (open === null) open = await openFiles();
      if (open) {
        if (open.has(p) || [...open].some((o) => o.startsWith(p + '/'))) continue;
      } else {
        const st = await fs.lstat(p).catch(() => undefined);
        if (!st || Date.now() - st.mtimeMs < STALE_TEMP_MS) continue;
      }
    }
    await fs.rm(p, { recursive: true, force: true }).catch(() => {});
    removed.push(p);
  }
  return removed;
}

/**
 * Copies via a temp file in the destination's directory and a rename. Where the
 * filesystem can (btrfs, XFS), the copy is a reflink: no data is written, and
 * either file can still change without touching the other.
 */
export async function copyAtomic(src: string, dest: string, mode?: number): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const target = await resolveLink(dest);
  await sweepLitter(path.dirname(target), { base: path.basename(target) });
  const tmp = partPath(target);
  try {
    await fs.copyFile(src, tmp, constants.COPYFILE_FICLONE);
    if (mode !== undefined) await fs.chmod(tmp, mode);
    await fs.rename(tmp, target);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Moves `src` to `dest` (a rename: atomic, nothing copied); across file systems, an atomic copy and then `src` removed. */
export async function moveAtomic(src: string, dest: string, mode?: number): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const target = await resolveLink(dest);
  if (mode !== undefined) await fs.chmod(src, mode);
  try {
    await fs.rename(src, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyAtomic(src, target, mode);
    await fs.rm(src, { force: true });
  }
}

/** A file to be written through a temp file beside it, then renamed into place with its mode. */
export interface Staged {
  dest: string;
  /** `dest`, or the file a symlink at `dest` points to (written through, the link stays) */
  target: string;
  tmp: string;
  mode: number;
}

/** Prepares a staged write of `dest` (its directory made, litter of killed runs swept). */
export async function stage(dest: string, mode: number): Promise<Staged> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const target = await resolveLink(dest);
  await sweepLitter(path.dirname(target), { base: path.basename(target) });
  return { dest, target, tmp: partPath(target), mode };
}

/** Puts a staged file in place: chmod, then rename over the destination. */
export async function commitStaged(s: Staged): Promise<void> {
  await fs.chmod(s.tmp, s.mode);
  await fs.rename(s.tmp, s.target);
}

/** A symlink's final target (so an edit goes through to it, not replacing the link); `p` itself otherwise. */
async function resolveLink(p: string): Promise<string> {
  try {
    const st = await fs.lstat(p);
    if (!st.isSymbolicLink()) return p;
  } catch {
    return p;
  }
  try {
    return await fs.realpath(p);
  } catch {
    // A dangling link: write where it points.
    const to = await fs.readlink(p);
    return path.resolve(path.dirname(p), to);
  }
}

/**
 * Writes via a temp file and a rename, keeping the original's mode; a new file
 * gets `mode` (default 0644). A symlink is written through: its target is
 * replaced atomically, the link stays.
 */
export async function writeAtomic(dest: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const target = await resolveLink(dest);
  await sweepLitter(path.dirname(target), { base: path.basename(target) });
  const tmp = partPath(target);
  try {
    const existing = (await fs.stat(target).catch(() => undefined))?.mode;
    await fs.writeFile(tmp, data, { mode: 0o600 });
    await fs.chmod(tmp, existing !== undefined ? existing & 0o7777 : (opts.mode ?? 0o644));
    await fs.rename(tmp, target);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** node-tar's error codes as sentences. */
const TAR_REASONS: Record<string, string> = {
  TAR_BAD_ARCHIVE: 'it is not a valid tar archive (truncated or corrupt)',
  TAR_ABORT: 'the archive is corrupt (reading it was aborted)',
  TAR_ENTRY_INVALID: 'it contains an invalid entry',
  TAR_ENTRY_UNSUPPORTED: 'it contains an entry type that cannot be extracted',
  TAR_ENTRY_ERROR: 'one of its entries could not be extracted',
  TAR_ENTRY_INFO: 'one of its entries is unusual',
  Z_DATA_ERROR: 'its gzip data is corrupt',
  Z_BUF_ERROR: 'it ends early (truncated gzip data)',
};

/** A tar/gzip/fs failure while extracting `tarball` as one sentence naming the file. */
export function tarErrorMessage(tarball: string, err: unknown): string {
  const code = (err as { code?: string } | undefined)?.code;
  const name = path.basename(tarball);
  if (code && TAR_REASONS[code]) return `cannot extract ${name}: ${TAR_REASONS[code]}`;
  if (code && REASONS[code]) return `cannot extract ${name}: ${describeFsError(err)}`;
  const msg = err instanceof Error ? err.message : String(err);
  return `cannot extract ${name}: ${msg.replace(/^TAR_[A-Z_]+:\s*/, '')}`;
}

/**
 * Removes what killed devenv runs left in the OS temp dir: names that carry
 * the pid of a process that is gone — work dirs `devenv-x-devenv-<pid>-…`,
 * temp tarballs `devenv-envoy-<pid>-…`/`devenv-helm-<pid>-…` and their
 * `.…part` files. Returns what was removed.
 */
export async function sweepTempDir(dir = os.tmpdir()): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /^\.?devenv-[a-z]+-(?:devenv-)?(\d+)-/.exec(n);
    if (!m || pidAlive(Number(m[1]))) continue;
    await fs.rm(path.join(dir, n), { recursive: true, force: true }).catch(() => {});
    removed.push(path.join(dir, n));
  }
  return removed;
}

/** A work dir under the OS temp dir, tagged with this pid so a later run can tell it is litter (and sweeps earlier runs' litter). */
export async function makeWorkDir(kind: string): Promise<string> {
  await sweepTempDir();
  return fs.mkdtemp(path.join(os.tmpdir(), `devenv-${kind}-devenv-${process.pid}-`));
}
