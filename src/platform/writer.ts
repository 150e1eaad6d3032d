/**
 * File writes for streamed downloads, done by one small worker thread.
 *
 * A download writes every batch to several files: its cache copy and each
 * place the build looks (1.4's debug Envoy goes to four). Written from the main
 * thread, each write either blocks the thread that also reads the sockets,
 * hashes and inflates (synchronous writes), or is one job for libuv's thread
 * pool, and waking a pool thread costs a futex call per job: for a 400 MiB
 * debug tarball that is ~10,000 jobs, and on a 2-core VM the wake-ups alone
 * took ~0.5 s of the main thread (measured with perf, issue 14). Here the
 * main thread posts one message per 256 KiB batch naming every file it goes
 * to; the worker writes them synchronously, in order, and answers. It also
 * takes the stream's sha256 as it goes (StreamHash), another ~0.4 s the
 * main thread no longer spends. Batches live in SharedArrayBuffers, so
 * nothing is copied on the way.
 *
 * The worker is a few lines of plain JavaScript run with `eval` (no bundle to
 * find, the same in dist/, the single executable and the tests). It keeps the
 * process alive only while a write is pending. Where a worker cannot start,
 * the writes are done synchronously on the main thread instead.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** The size of a batch: few messages, little memory (two buffers per stream). */
export const BATCH_BYTES = 256 * 1024;

/**
 * The most one write() call is given. On this 2-core VM (ext4, Linux 6.18), a
 * thread writing 256 KiB per call spent 2-3x the system time of the same bytes
 * in 32 KiB calls (the kernel's copy into the page cache: perf, issue 14; fix
 * --all on 1.4.2-shaped artifacts 5.5-7.8 s vs 3.2-3.9 s over six rounds).
 */
const PIECE_BYTES = 32 * 1024;

const SOURCE = `'use strict';
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.digest !== undefined) {
    const h = hashes.get(m.digest) || createHash('sha256');
    hashes.delete(m.digest);
    parentPort.postMessage({ id: m.id, digest: h.digest('hex') });
    return;
  }
  const buf = Buffer.from(m.sab, m.off, m.len);
  if (m.hash !== undefined) {
    let h = hashes.get(m.hash);
    if (!h) hashes.set(m.hash, (h = createHash('sha256')));
    h.update(buf);
  }
  let fd;
  try {
    for (fd of m.fds) {
      let at = 0;
      while (at < m.len) at += writeSync(fd, buf, at, Math.min(m.len - at, ${PIECE_BYTES}));
    }
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { message: String(e && e.message), code: e && e.code, syscall: e && e.syscall, errno: e && e.errno, fd } });
  }
});
`;

interface Reply {
  id: number;
  digest?: string;
  error?: { message: string; code?: string; syscall?: string; errno?: number; fd?: number };
}

interface Pending {
  resolve(digest?: string): void;
  reject(err: Error): void;
}

class WriterThread {
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (r: Reply) => this.settle(r));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`the file writer thread stopped (exit code ${code})`)));
  }

  write(fds: readonly number[], data: Buffer, hash?: number): Promise<void> {
    return this.ask({ sab: data.buffer, off: data.byteOffset, len: data.length, fds, hash }).then(() => {});
  }

  /** The sha256 (hex) of every batch written with `hash`, once those are written; the thread forgets it. */
  digest(hash: number): Promise<string> {
    return this.ask({ digest: hash }).then((d) => d ?? '');
  }

  private ask(message: Record<string, unknown>): Promise<string | undefined> {
    const id = this.next++;
    if (this.pending.size === 0) this.worker.ref(); // a pending write keeps the process alive
    return new Promise<string | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker.unref();
    if (r.error) p.reject(Object.assign(new Error(r.error.message), { code: r.error.code, syscall: r.error.syscall, errno: r.error.errno, fd: r.error.fd }));
    else p.resolve(r.digest);
  }

  private fail(err: Error): void {
    if (thread === this) thread = undefined; // the next write starts a new one ('error' and then 'exit' both land here)
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

let thread: WriterThread | null | undefined;

function writerThread(): WriterThread | null {
  if (thread === undefined) {
    try {
      // execArgv: [] — nothing of the parent's loaders (tsx in the tests) is needed for these few lines
      thread = new WriterThread(new Worker(SOURCE, { eval: true, execArgv: [], stdout: false, stderr: false }));
    } catch {
      thread = null;
    }
  }
  return thread;
}

function writeHere(fds: readonly number[], data: Buffer): void {
  for (const fd of fds) {
    try {
      let at = 0;
      while (at < data.length) at += writeSync(fd, data, at, Math.min(data.length - at, PIECE_BYTES));
    } catch (err) {
      throw Object.assign(err as Error, { fd });
    }
  }
}

let hashKeys = 0;

/**
 * The sha256 of a stream, taken as its batches are written (writeToAll with
 * this hash): on the writer thread, beside the writes, so the thread that
 * reads the sockets does not spend ~0.4 s hashing a 640 MiB fix --all. Without
 * a thread, here.
 */
export class StreamHash {
  private readonly key = hashKeys++;
  private readonly local = createHash('sha256');
  /** the thread that holds this hash's state, once a batch went to one */
  private owner: WriterThread | undefined;

  /** Called by writeToAll: which thread gets the batch, or undefined to write here. */
  route(t: WriterThread | null): number | undefined {
    if (!t || (this.owner && this.owner !== t)) {
      if (this.owner) throw new Error('the file writer thread stopped during the transfer');
      return undefined;
    }
    this.owner = t;
    return this.key;
  }

  updateHere(data: Buffer): void {
    this.local.update(data);
  }

  /** The hex digest, once every batch written with this hash is written. Once only. */
  async digest(): Promise<string> {
    if (!this.owner) return this.local.digest('hex');
    if (thread !== this.owner) throw new Error('the file writer thread stopped during the transfer');
    return this.owner.digest(this.key);
  }
}

/**
 * Writes all of `data` to each of `fds` at its current position, in the order
 * calls were made, and adds it to `hash`. Resolves once written; rejects with
 * the system's error (its `code` and `syscall`, e.g. ENOSPC/write, and the
 * `fd` it came from). `data` must stay unchanged until then; a view of a
 * SharedArrayBuffer (sharedBuffer) goes to the thread without a copy, anything
 * else is copied first.
 */
export async function writeToAll(fds: readonly number[], data: Buffer, hash?: StreamHash): Promise<void> {
  if ((fds.length === 0 && !hash) || data.length === 0) return;
  const t = writerThread();
  const key = hash?.route(t);
  if (!t || (hash && key === undefined)) {
    hash?.updateHere(data);
    return writeHere(fds, data);
  }
  if (data.buffer instanceof SharedArrayBuffer) return t.write(fds, data, key);
  // another write may be pending on the thread: this one goes after it, as a shared copy
  const copy = sharedBuffer(data.length);
  data.copy(copy);
  return t.write(fds, copy, key);
}

/** A zero-filled buffer over shared memory: writeToAll hands it to the writer thread as it is. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

/**
 * Collects chunks into batches of BATCH_BYTES and writes each while the next
 * fills: two fixed buffers, one in flight and one filling, so reading and
 * writing overlap, the writes are few and large, and batching leaves no
 * garbage behind.
 */
export class Batcher {
  private readonly bufs = [sharedBuffer(BATCH_BYTES), sharedBuffer(BATCH_BYTES)];
  private current = 0;
  private size = 0;
  private inflight: Promise<void> = Promise.resolve();

  constructor(private readonly write: (buf: Buffer) => Promise<void>) {}

  /**
   * Copies `chunk` in. `undefined` when it fitted without filling the batch (the common case: a
   * socket's piece is 16-64 KiB, a batch 256 KiB), so a caller awaits only when there is something
   * to wait for; otherwise a promise that resolves when `chunk` may be reused (and, when a batch
   * filled, once the one before it was written). A download calls this once per piece it receives
   * (~25,000 times per 400 MiB over TLS), and under `--no-opt` an `await` of nothing is not free.
   */
  add(chunk: Buffer): Promise<void> | undefined {
    if (chunk.length < BATCH_BYTES - this.size) {
      // fill() with a Buffer is one memcpy; copy() into shared memory is V8's
      // byte-safe "relaxed" memmove, the main thread's largest cost once the
      // writes and the hash had moved off it (perf, issue 14)
      this.bufs[this.current].fill(chunk, this.size, this.size + chunk.length);
      this.size += chunk.length;
      return undefined;
    }
    return this.addFilling(chunk);
  }

  private async addFilling(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, BATCH_BYTES - this.size);
      this.bufs[this.current].fill(chunk.subarray(at, at + n), this.size, this.size + n);
      this.size += n;
      at += n;
      if (this.size === BATCH_BYTES) await this.cut();
    }
  }

  private async cut(): Promise<void> {
    const filled = this.bufs[this.current].subarray(0, this.size);
    await this.inflight; // the other buffer is free once its write is done
    this.inflight = this.write(filled);
    this.inflight.catch(() => {}); // seen by the next cut, finish() or settle()
    this.current ^= 1;
    this.size = 0;
  }

  /** Writes what is left and waits for every write. */
  async finish(): Promise<void> {
    if (this.size > 0) await this.cut();
    await this.inflight;
  }

  /** Drops what is not written yet and waits for the write in flight (nothing is left writing behind the caller's back). */
  async settle(): Promise<void> {
    this.size = 0;
    await this.inflight.catch(() => {});
  }
}
