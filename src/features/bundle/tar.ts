/**
 * A streaming tar (POSIX ustar + pax headers) writer and reader for bundles.
 * Memory stays flat whatever the item sizes: the writer copies each file with
 * backpressure, the reader hands each entry's bytes to a sink chunk by chunk.
 * The reader is deliberately strict: it names truncation, bad header
 * checksums and every entry type a bundle never contains.
 */
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { DevenvError } from '../../platform/errors.js';

const BLOCK = 512;
/** The largest size an 11-digit octal size field holds (8 GiB - 1); larger sizes go into a pax header. */
const MAX_OCTAL_SIZE = 0o77777777777;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function writeString(buf: Buffer, s: string, offset: number, length: number): void {
  buf.write(s, offset, length, 'utf8');
}

function ustarHeader(name: string, size: number, type: string, mode = 0o644, mtime = 0): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, name, 0, 100);
  writeString(h, octal(mode, 8), 100, 8);
  writeString(h, octal(0, 8), 108, 8);
  writeString(h, octal(0, 8), 116, 8);
  writeString(h, octal(Math.min(size, MAX_OCTAL_SIZE), 12), 124, 12);
  writeString(h, octal(mtime, 12), 136, 12);
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  writeString(h, type, 156, 1);
  writeString(h, 'ustar\0', 257, 6);
  writeString(h, '00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** One pax record: "<len> key=value\n", where len counts the whole record. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let digits = 1;
  while (String(n + digits).length !== digits) digits++;
  return `${n + digits}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** Writes tar entries to a stream, honouring backpressure. */
export class TarWriter {
  private written = 0;
  constructor(private readonly out: Writable) {}

  get bytesWritten(): number {
    return this.written;
  }

  private async write(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    this.written += buf.length;
    if (!this.out.write(buf)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => (this.out.off('error', onError), resolve());
        const onError = (e: Error) => (this.out.off('drain', onDrain), reject(e));
        this.out.once('drain', onDrain);
        this.out.once('error', onError);
      });
    }
  }

  private async header(name: string, size: number, mode: number): Promise<void> {
    if (Buffer.byteLength(name) > 100 || size > MAX_OCTAL_SIZE) {
      const records = Buffer.from(paxRecord('path', name) + (size > MAX_OCTAL_SIZE ? paxRecord('size', String(size)) : ''));
      await this.write(ustarHeader('PaxHeader', records.length, 'x'));
      await this.write(records);
      await this.write(padding(records.length));
      // The ustar name is only a fallback for readers without pax support.
      await this.write(ustarHeader(name.slice(name.lastIndexOf('/') + 1).slice(0, 99), size, '0', mode));
      return;
    }
    await this.write(ustarHeader(name, size, '0', mode));
  }

  async addBuffer(name: string, data: Buffer, mode = 0o644): Promise<void> {
    await this.header(name, data.length, mode);
    await this.write(data);
    await this.write(padding(data.length));
  }

  /** Streams a file of a known size; fails if the file changed size meanwhile. */
  async addFile(name: string, file: string, size: number, onBytes?: (n: number) => void, mode = 0o644): Promise<void> {
    await this.header(name, size, mode);
    let copied = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 256 << 10 })) {
      const b = chunk as Buffer;
      copied += b.length;
      if (copied > size) throw new DevenvError(`${file} grew while it was being written into the bundle`);
      await this.write(b);
      onBytes?.(b.length);
    }
    if (copied !== size) throw new DevenvError(`${file} shrank while it was being written into the bundle (${copied} of ${size} bytes)`);
    await this.write(padding(size));
  }

  /** The end-of-archive marker: two zero blocks. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(BLOCK * 2));
  }
}

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  name: string;
  type: EntryType;
  /** the raw typeflag, for messages */
  typeflag: string;
  size: number;
  linkname: string;
}

export interface EntrySink {
  write(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

export class TruncatedError extends DevenvError {}

/** Buffers an async byte source so that exact-length reads are possible without holding more than a chunk. */
class ByteReader {
  private bufs: Buffer[] = [];
  private len = 0;
  private done = false;
  private readonly it: AsyncIterator<Buffer>;
  offset = 0;
  constructor(src: AsyncIterable<Buffer>) {
    this.it = src[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<boolean> {
    while (this.len < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length > 0) {
        this.bufs.push(r.value);
        this.len += r.value.length;
      }
    }
    return this.len >= n;
  }
  /** Exactly n bytes, or undefined at a clean end of input (nothing left); throws if cut in between. */
  async read(n: number, what: string): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.len === 0) return undefined;
      throw new TruncatedError(`the bundle is truncated: it ends inside ${what} (at byte ${this.offset + this.len})`);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const b = this.bufs[0];
      const take = Math.min(b.length, n - at);
      b.copy(out, at, 0, take);
      at += take;
      if (take === b.length) this.bufs.shift();
      else this.bufs[0] = b.subarray(take);
    }
    this.len -= n;
    this.offset += n;
    return out;
  }
  /** Stops reading the source (closes the file). */
  async close(): Promise<void> {
    await this.it.return?.();
  }
  /** Passes the next n bytes to `each` in the chunks they arrived in. */
  async pass(n: number, what: string, each: (b: Buffer) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.len === 0 && !(await this.fill(1))) {
        throw new TruncatedError(`the bundle is truncated: ${what} is cut short (${n - left} of ${n} bytes)`);
      }
      const b = this.bufs[0];
      const take = Math.min(b.length, left);
      if (take === b.length) this.bufs.shift();
      else this.bufs[0] = b.subarray(take);
      this.len -= take;
      this.offset += take;
      left -= take;
      await each(take === b.length ? b : b.subarray(0, take));
    }
  }
}

function field(h: Buffer, offset: number, length: number): string {
  const raw = h.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function numeric(h: Buffer, offset: number, length: number, what: string): number {
  if (h[offset] & 0x80) {
    // base-256 (GNU): big-endian, high bit set
    let n = 0;
    for (let i = offset + 1; i < offset + length; i++) n = n * 256 + h[i];
    return n;
  }
  const s = field(h, offset, length).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new DevenvError(`the bundle is not a valid tar file: bad ${what} field ${JSON.stringify(s)}`); // escaped: it may hold anything
  return parseInt(s, 8);
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const sp = text.indexOf(' ', at);
    if (sp < 0) break;
    const len = Number(text.slice(at, sp));
    if (!Number.isInteger(len) || len <= 0) throw new DevenvError('the bundle is not a valid tar file: a malformed pax header');
    const rec = text.slice(sp + 1, at + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    at += len;
  }
  return out;
}

function typeOf(flag: string): EntryType {
  if (flag === '0' || flag === '\0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'hardlink';
  return 'other';
}

/**
 * Reads a tar stream entry by entry. `onEntry` returns a sink for the entry's
 * bytes, or null to skip them (still read, never held). Resolves at the
 * end-of-archive marker; an input that ends anywhere else is a TruncatedError.
 */
export async function readTar(src: AsyncIterable<Buffer>, onEntry: (e: TarEntry) => Promise<EntrySink | null>): Promise<void> {
  const r = new ByteReader(src);
  try {
    await readEntries(r, onEntry);
  } finally {
    await r.close();
  }
}

async function readEntries(r: ByteReader, onEntry: (e: TarEntry) => Promise<EntrySink | null>): Promise<void> {
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const h = await r.read(BLOCK, 'a tar header');
    if (!h) throw new TruncatedError('the bundle is truncated: it ends without the end-of-archive marker');
    if (h.every((b) => b === 0)) {
      // The first of the two zero blocks: the archive is complete.
      return;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    const stored = numeric(h, 148, 8, 'checksum');
    if (stored !== sum) throw new DevenvError(`the bundle is not a valid tar file (or is corrupt): header checksum mismatch at byte ${r.offset - BLOCK}`);
    const flag = field(h, 156, 1);
    let size = numeric(h, 124, 12, 'size');
    const magic = field(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(h, 345, 155) : '';
    const baseName = field(h, 0, 100);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const chunks: Buffer[] = [];
      if (size > 1 << 20) throw new DevenvError('the bundle is not a valid tar file: an oversized extended header');
      await r.pass(size, 'an extended header', (b) => void chunks.push(Buffer.from(b)));
      await r.pass((BLOCK - (size % BLOCK)) % BLOCK, 'padding', () => {});
      const text = Buffer.concat(chunks).toString('utf8');
      if (flag === 'x') pax = { ...pax, ...parsePax(text) };
      else if (flag === 'L') longName = text.replace(/\0+$/, '');
      else if (flag === 'K') longLink = text.replace(/\0+$/, '');
      continue;
    }
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const linkname = pax.linkpath ?? longLink ?? field(h, 157, 100);
    if (pax.size !== undefined) size = Number(pax.size);
    pax = {};
    longName = undefined;
    longLink = undefined;
    const type = typeOf(flag);
    const dataSize = type === 'file' || type === 'other' ? size : 0;
    const sink = await onEntry({ name, type, typeflag: flag, size: dataSize, linkname });
    await r.pass(dataSize, name, sink ? (b) => sink.write(b) : () => {});
    await r.pass((BLOCK - (dataSize % BLOCK)) % BLOCK, `the padding after ${name}`, () => {});
    if (sink) await sink.end();
  }
}

/** A file's bytes as a stream, gunzipped when it starts with the gzip magic. */
export async function openBundleStream(file: string): Promise<{ stream: AsyncIterable<Buffer>; gzip: boolean }> {
  const fh = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new DevenvError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.code}`);
  });
  const magic = Buffer.alloc(2);
  try {
    await fh.read(magic, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const raw = createReadStream(file, { highWaterMark: 256 << 10 });
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return { stream: raw, gzip: false };
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  // A cut-off gzip stream fails with "unexpected end of file": that is a truncated bundle.
  async function* wrapped(): AsyncGenerator<Buffer> {
    try {
      for await (const c of gunzip) yield c as Buffer;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message)) throw new TruncatedError('the bundle is truncated: the gzip stream ends early');
      throw new DevenvError(`the bundle is not valid gzip: ${e.message}`);
    } finally {
      raw.destroy();
      gunzip.destroy();
    }
  }
  return { stream: wrapped(), gzip: true };
}
