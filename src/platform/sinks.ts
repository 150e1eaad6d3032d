/**
 * Where streamed bytes go while they arrive: the same chunk written to several
 * files at once, or a .tar.gz read as it streams with one member written to
 * several files. A download feeds a sink chunk by chunk (src/platform/download.ts),
 * so an artifact is decompressed and written to every destination during the
 * transfer, and nothing is read back afterwards.
 *
 * A sink writes only temp files its caller named; the caller renames them into
 * place once the download's sha256 verified and `end()` returned (the whole
 * archive read, gzip's CRC checked, the member found).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createGunzip, type Gunzip } from 'node:zlib';
import { DevenvError } from './errors.js';
import { tarErrorMessage } from './files.js';
import { streamed } from './gc.js';
import { Batcher, writeToAll } from './writer.js';

/** A sink could not write its own files (disk full, permissions): the bytes were fine, another source would not help. */
export class SinkWriteError extends DevenvError {}

/** An error of the local system (it names a syscall: open, write…), not of the bytes. */
function localError(err: unknown): SinkWriteError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || typeof e.syscall !== 'string' || typeof e.code !== 'string' || e.code.startsWith('Z_')) return undefined;
  return new SinkWriteError(`cannot write${e.path ? ` ${e.path}` : ''}: ${e.code}${e.message ? ` (${e.message.replace(/^[A-Z]+: /, '')})` : ''}`, { cause: err });
}

/** What went wrong reading the archive `name`, as one sentence (a local write error stays one). */
function archiveError(name: string, err: unknown): DevenvError {
  if (err instanceof DevenvError) return err;
  return localError(err) ?? new DevenvError(tarErrorMessage(name, err), { cause: err });
}

export interface ByteSink {
  /** Takes the next chunk; resolves once it may be given the next (its bytes are consumed or copied). */
  write(chunk: Buffer): Promise<void>;
  /** The transfer starts over from byte 0: forget everything written so far. */
  reset(): Promise<void>;
  /** Every byte was written: finish and check; throws when the bytes were not what was expected. */
  end(): Promise<void>;
  /** Gives up: closes and removes every file it wrote. Never throws. */
  abort(): Promise<void>;
}

/** The same bytes into every file of `paths` (each opened 0600; the caller chmods and renames), in batches written by the writer thread. */
export class FilesSink implements ByteSink {
  private handles: fs.FileHandle[] | undefined;
  private batcher: Batcher | undefined;
  constructor(readonly paths: string[]) {}

  private async open(): Promise<Batcher> {
    if (!this.handles || !this.batcher) {
      const opened: fs.FileHandle[] = [];
      try {
        for (const p of this.paths) {
          await fs.mkdir(path.dirname(p), { recursive: true });
          opened.push(await fs.open(p, 'w', 0o600));
        }
      } catch (err) {
        await Promise.all(opened.map((h) => h.close().catch(() => {})));
        throw err;
      }
      const fds = opened.map((h) => h.fd);
      this.handles = opened;
      this.batcher = new Batcher((buf) => writeToAll(fds, buf));
    }
    return this.batcher;
  }

  async write(chunk: Buffer): Promise<void> {
    try {
      await (await this.open()).add(chunk);
    } catch (err) {
      throw localError(this.named(err)) ?? err;
    }
  }

  /** A write error names the file it came from (the writer knows only descriptors). */
  private named(err: unknown): unknown {
    const e = err as NodeJS.ErrnoException & { fd?: number };
    const at = this.handles?.findIndex((h) => h.fd === e?.fd) ?? -1;
    if (at >= 0 && !e.path) e.path = this.paths[at];
    return err;
  }

  async reset(): Promise<void> {
    await this.closeAll(); // the next write opens them again with 'w', i.e. empty
  }

  async end(): Promise<void> {
    try {
      await (await this.open()).finish(); // an empty member or file is still a file
    } catch (err) {
      throw localError(this.named(err)) ?? err;
    }
    await this.closeAll();
  }

  async abort(): Promise<void> {
    await this.closeAll().catch(() => {});
    await Promise.all(this.paths.map((p) => fs.rm(p, { force: true }).catch(() => {})));
  }

  private async closeAll(): Promise<void> {
    const hs = this.handles ?? [];
    const b = this.batcher;
    this.handles = undefined;
    this.batcher = undefined;
    await b?.settle(); // no write is left in flight on a descriptor about to close
    await Promise.all(hs.map((h) => h.close()));
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
  if (!Number.isFinite(n) || n < 0) throw new Error('it is not a tar archive (bad size field)');
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

/**
 * Reads a tar stream pushed to it and hands the data of the first regular-file
 * member named `want` to `out`. GNU (`L` long names), ustar (prefix) and pax
 * (`x` path) archives.
 */
class TarReader {
  private pending: Buffer = Buffer.alloc(0);
  /** the entry being read: bytes of data left, padding after it, and what to do with the data */
  private left = 0;
  private pad = 0;
  private mode: 'skip' | 'member' | 'meta' = 'skip';
  private meta: Buffer[] = [];
  private metaType = '';
  private nextName: string | undefined;
  private ended = false;
  found = false;

  constructor(
    private readonly want: string,
    private readonly out: FilesSink,
  ) {}

  async push(chunk: Buffer): Promise<void> {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length > 0 && !this.ended) {
      if (this.left > 0) {
        const part = buf.subarray(0, Math.min(this.left, buf.length));
        buf = buf.subarray(part.length);
        this.left -= part.length;
        if (this.mode === 'member') await this.out.write(part);
        else if (this.mode === 'meta') this.meta.push(Buffer.from(part));
        if (this.left === 0) this.entryDone();
        continue;
      }
      if (this.pad > 0) {
        const n = Math.min(this.pad, buf.length);
        buf = buf.subarray(n);
        this.pad -= n;
        continue;
      }
      if (buf.length < BLOCK) {
        this.pending = Buffer.from(buf);
        break;
      }
      const h = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        this.ended = true; // end-of-archive blocks; the rest of the stream is still read (gzip's CRC)
        break;
      }
      this.header(h);
      if (this.left === 0) this.entryDone();
    }
  }

  private header(h: Buffer): void {
    const type = String.fromCharCode(h[156] || 0x30);
    let name = tarField(h, 0, 100);
    if (tarField(h, 257, 5) === 'ustar') {
      const prefix = tarField(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (type !== 'L' && type !== 'x' && this.nextName !== undefined) {
      name = this.nextName;
      this.nextName = undefined;
    }
    this.left = tarSize(h);
    this.pad = (BLOCK - (this.left % BLOCK)) % BLOCK;
    if (type === 'L' || type === 'x') {
      this.mode = 'meta';
      this.metaType = type;
    } else if (!this.found && (type === '0' || type === '7') && name.replace(/^\.\//, '') === this.want) {
      this.mode = 'member';
    } else {
      this.mode = 'skip';
    }
  }

  private entryDone(): void {
    if (this.mode === 'member') this.found = true;
    else if (this.mode === 'meta') {
      const data = Buffer.concat(this.meta);
      this.nextName = this.metaType === 'L' ? tarField(data, 0, data.length) : (paxPath(data) ?? this.nextName);
      this.meta = [];
    }
    this.mode = 'skip';
  }

  /** Whether the stream ended in the middle of an entry. */
  get truncated(): boolean {
    return this.left > 0;
  }
}

/**
 * A .tar.gz read as it streams: the member `member` is written to every file
 * of `paths` (the same bytes; the caller chmods and renames them). `name`
 * names the archive in errors. `end()` fails when the gzip data is corrupt or
 * truncated, the archive ends inside an entry, or there is no such member.
 */
export class TarGzMemberSink implements ByteSink {
  private readonly files: FilesSink;
  private gz: Gunzip | undefined;
  private reader: TarReader | undefined;
  private consumer: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    readonly member: string,
    readonly paths: string[],
    readonly name: string,
  ) {
    this.files = new FilesSink(paths);
  }

  private start(): Gunzip {
    if (this.gz) return this.gz;
    // 256 KiB pieces, a batch's worth: one thread-pool round trip per batch (the pool's wake-ups cost the main thread, issue 14)
    const gz = createGunzip({ chunkSize: 256 * 1024 });
    const reader = new TarReader(this.member.replace(/^\.\//, ''), this.files);
    this.gz = gz;
    this.reader = reader;
    this.failure = undefined;
    this.consumer = (async () => {
      for await (const out of gz as AsyncIterable<Buffer>) {
        await reader.push(out);
        streamed(out.length); // an inflated piece is garbage once it is copied into a batch (gc.ts)
      }
    })().catch((err: unknown) => {
      this.failure ??= err;
      gz.destroy();
    });
    return gz;
  }

  private error(err: unknown): DevenvError {
    return archiveError(this.name, err);
  }

  async write(chunk: Buffer): Promise<void> {
    const gz = this.start();
    if (this.failure) throw this.error(this.failure);
    // Resolves once zlib has taken this chunk, or rejects when reading failed.
    await new Promise<void>((resolve, reject) => {
      // closed by a failure of the reading loop: its error is known once the loop has ended
      const consumer = this.consumer;
      const onClose = () => void consumer?.then(() => reject(this.error(this.failure ?? new Error('the archive stream closed early'))));
      gz.once('close', onClose);
      gz.write(chunk, (err) => {
        gz.off('close', onClose);
        if (err) {
          this.failure ??= err;
          reject(this.error(this.failure)); // the first failure (the reading loop's, when it destroyed the stream) says why
        } else resolve();
      });
    });
    if (this.failure) throw this.error(this.failure);
  }

  async reset(): Promise<void> {
    await this.stop();
    await this.files.abort();
  }

  async end(): Promise<void> {
    const gz = this.start();
    gz.end();
    await this.consumer; // the reading loop ends with the stream (or with its error)
    const reader = this.reader!;
    this.gz = undefined;
    if (this.failure) throw this.error(this.failure);
    if (reader.truncated) throw new DevenvError(`cannot extract ${this.name}: it ends in the middle of an entry`);
    if (!reader.found) throw new DevenvError(`${this.name} has no ${this.member}`);
    await this.files.end();
  }

  async abort(): Promise<void> {
    await this.stop();
    await this.files.abort();
  }

  private async stop(): Promise<void> {
    const gz = this.gz;
    this.gz = undefined;
    if (!gz) return;
    gz.destroy();
    await this.consumer?.catch(() => {});
  }
}

/**
 * A .tar.gz unpacked as it streams into the directory `dir` (node-tar, strict:
 * an unreadable entry is an error). The caller moves what it needs out of
 * `dir` once the download verified, or removes `dir`. `name` names the archive
 * in errors.
 */
export class TarTreeSink implements ByteSink {
  private unpack: import('tar').Unpack | undefined;
  private done: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    readonly dir: string,
    readonly name: string,
  ) {}

  private async start(): Promise<import('tar').Unpack> {
    if (this.unpack) return this.unpack;
    await fs.mkdir(this.dir, { recursive: true });
    const tar = await import('tar');
    const unpack = new tar.Unpack({ cwd: this.dir, strict: true });
    this.failure = undefined;
    this.done = new Promise<void>((resolve) => {
      unpack.on('error', (err: unknown) => {
        this.failure ??= err;
        resolve();
      });
      unpack.on('close', () => resolve());
    });
    this.unpack = unpack;
    return unpack;
  }

  private error(err: unknown): DevenvError {
    return archiveError(this.name, err);
  }

  async write(chunk: Buffer): Promise<void> {
    const unpack = await this.start();
    if (this.failure) throw this.error(this.failure);
    // a copy: the caller reuses its buffer once this resolves, and node-tar may keep chunks queued
    if (!unpack.write(Buffer.from(chunk))) await Promise.race([new Promise((r) => unpack.once('drain', r)), this.done]);
    if (this.failure) throw this.error(this.failure);
  }

  async reset(): Promise<void> {
    await this.abort();
  }

  async end(): Promise<void> {
    const unpack = await this.start();
    unpack.end();
    await this.done;
    this.unpack = undefined;
    if (this.failure) throw this.error(this.failure);
  }

  async abort(): Promise<void> {
    const unpack = this.unpack;
    this.unpack = undefined;
    if (unpack) {
      unpack.abort(new Error('aborted'));
      await this.done;
    }
    await fs.rm(this.dir, { recursive: true, force: true }).catch(() => {});
  }
}
