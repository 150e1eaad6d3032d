/** File operations for fixes: atomic copies, tarball members, backups. Nothing half-written is ever left at a destination. */
import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
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

/**
 * Copies via a temp file in the destination's directory and a rename. Where the
 * filesystem can (btrfs, XFS), the copy is a reflink: no data is written, and
 * either file can still change without touching the other.
 */
export async function copyAtomic(src: string, dest: string, mode?: number): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(4).toString('hex')}.part`);
  try {
    await fs.copyFile(src, tmp, constants.COPYFILE_FICLONE);
    if (mode !== undefined) await fs.chmod(tmp, mode);
    await fs.rename(tmp, dest);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Writes text via a temp file and a rename, keeping the original's mode. */
export async function writeAtomic(dest: string, text: string): Promise<void> {
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

/**
 * Extracts one regular-file member of a .tar.gz (e.g. usr/local/bin/envoy) to
 * `dest`, atomically. The archive is read once, as a stream: the member's bytes
 * go straight into a temp file beside `dest` (no other member is written, no
 * copy afterwards), and the temp file is renamed into place after the whole
 * archive has been read (so gzip's CRC has been checked). Reading waits for
 * each write, so memory stays flat whatever the size.
 */
export async function extractMember(tarball: string, member: string, dest: string, mode = 0o755): Promise<void> {
  const want = member.replace(/^\.\//, '');
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(4).toString('hex')}.part`);
  try {
    const found = await streamMember(tarball, want, tmp);
    if (!found) throw new DevenvError(`${path.basename(tarball)} has no ${member}`);
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, dest);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

const BLOCK = 512;

function tarField(h: Buffer, start: number, len: number): string {
  const end = h.indexOf(0, start);
  return h.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

function tarSize(h: Buffer): number {
  if (h[124] & 0x80) {
    // GNU base-256 for sizes of 8 GiB and more
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i];
    return n;
  }
  const n = Number.parseInt(tarField(h, 124, 12).trim() || '0', 8);
  if (!Number.isFinite(n) || n < 0) throw new DevenvError('not a tar archive (bad size field)');
  return n;
}

/** The `path` of a pax extended header ("<len> path=<value>\n" records). */
function paxPath(data: Buffer): string | undefined {
  let found: string | undefined;
  let at = 0;
  while (at < data.length) {
    const sp = data.indexOf(0x20, at);
    if (sp === -1) break;
    const len = Number.parseInt(data.toString('utf8', at, sp), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.toString('utf8', sp + 1, at + len - 1);
    if (rec.startsWith('path=')) found = rec.slice(5);
    at += len;
  }
  return found;
}

/** Writes the first regular-file member named `want` to `out`; true when there was one. */
async function streamMember(tarball: string, want: string, out: string): Promise<boolean> {
  // 1 MiB pieces: few thread-pool round trips per write, memory still bounded
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  const input = createReadStream(tarball, { highWaterMark: 1 << 20 });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  let file: fs.FileHandle | undefined;
  let found = false;
  let pending: Buffer = Buffer.alloc(0);
  // the entry being read: bytes of data left, padding after it, and what to do with the data
  let left = 0;
  let pad = 0;
  let sink: 'skip' | 'write' | 'meta' = 'skip';
  let meta: Buffer[] = [];
  let metaType = '';
  let nextName: string | undefined;
  let ended = false;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      pending = Buffer.alloc(0);
      while (buf.length > 0 && !ended) {
        if (left > 0) {
          const part = buf.subarray(0, Math.min(left, buf.length));
          buf = buf.subarray(part.length);
          left -= part.length;
          if (sink === 'write') await file!.write(part);
          else if (sink === 'meta') meta.push(Buffer.from(part));
          if (left === 0) {
            if (sink === 'write') {
              await file!.close();
              file = undefined;
              found = true;
            } else if (sink === 'meta') {
              const data = Buffer.concat(meta);
              nextName = metaType === 'L' ? tarField(data, 0, data.length) : (paxPath(data) ?? nextName);
              meta = [];
            }
          }
          continue;
        }
        if (pad > 0) {
          const n = Math.min(pad, buf.length);
          buf = buf.subarray(n);
          pad -= n;
          continue;
        }
        if (buf.length < BLOCK) {
          pending = Buffer.from(buf);
          break;
        }
        const h = buf.subarray(0, BLOCK);
        buf = buf.subarray(BLOCK);
        if (h.every((b) => b === 0)) {
          ended = true; // end-of-archive blocks; the rest of the stream is still read (CRC)
          break;
        }
        const type = String.fromCharCode(h[156] || 0x30);
        let name = tarField(h, 0, 100);
        if (tarField(h, 257, 5) === 'ustar') {
          const prefix = tarField(h, 345, 155);
          if (prefix) name = `${prefix}/${name}`;
        }
        if (type !== 'L' && type !== 'x' && nextName !== undefined) {
          name = nextName;
          nextName = undefined;
        }
        left = tarSize(h);
        pad = (BLOCK - (left % BLOCK)) % BLOCK;
        if (type === 'L' || type === 'x') {
          sink = 'meta';
          metaType = type;
        } else if (!found && !file && (type === '0' || type === '7') && name.replace(/^\.\//, '') === want) {
          sink = 'write';
          file = await fs.open(out, 'w', 0o600);
          if (left === 0) {
            await file.close();
            file = undefined;
            found = true;
          }
        } else {
          sink = 'skip';
        }
      }
    }
    if (left > 0 || (file && !found)) throw new DevenvError(`${path.basename(tarball)} ends in the middle of an entry`);
    return found;
  } finally {
    await file?.close();
    input.destroy();
    gunzip.destroy();
  }
}
