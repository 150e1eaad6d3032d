/**
 * Prompt collection of the buffers a long transfer leaves behind. Every chunk a
 * socket, zlib or a file read hands over is a fresh buffer; V8 frees them only
 * when a young-generation collection runs, and the small JS heap of a streaming
 * loop triggers one rarely, so tens of MiB of dead chunks pile up in the RSS.
 * A young-generation collection every 4 MiB streamed keeps the peak flat
 * (measured: a 200 MiB download peaked 14 MiB lower). A minor collection of a
 * small young generation takes well under a millisecond.
 *
 * Streamed counts what was downloaded and what a tarball inflated to (the
 * member sink's output, a fresh buffer per piece too): tarballs that compress
 * like real builds (2.5x, `npm run bench -- --binaries`) otherwise left 2.5x
 * the garbage between collections, and a 1 GiB one peaked at 102-114 MiB
 * against 95-99 MiB now. For a tarball that does not compress this is the
 * same cadence as before (every 2 MiB downloaded).
 *
 * `gc` exists only where the run set --expose-gc (src/cli/tune.ts, for the
 * commands that download); elsewhere (tests, short commands) this does nothing.
 * Nothing is loaded here but node:vm, which the bundle loader has loaded anyway.
 */
import vm from 'node:vm';

type Gc = (opts?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: Gc | null | undefined;

function collector(): Gc | null {
  if (gc === undefined) {
    try {
      // a new context has `gc` when --expose-gc was set before it was made
      gc = (vm.runInNewContext('typeof gc === "function" ? gc : undefined') as Gc | undefined) ?? null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

const EVERY = 4 * 1024 * 1024;
let since = 0;
let total = 0;
let collections = 0;

/** Counts bytes streamed (downloaded by any transfer, or inflated by a sink); every 4 MiB, collects the young generation. */
export function streamed(bytes: number): void {
  total += bytes;
  since += bytes;
  if (since < EVERY) return;
  since = 0;
  const collect = collector();
  if (!collect) return;
  collect({ type: 'minor' });
  collections++;
}

/** What streamed() has counted in this process, and how many collections it made (for tests and measurements). */
export function streamStats(): { bytes: number; collections: number } {
  return { bytes: total, collections };
}
