/**
 * The only module that imports node-fetch. Streams to a temp file beside the
 * destination, hashes while streaming, resumes an interrupted transfer with
 * HTTP Range where the server allows it, retries with backoff, and renames
 * only after the sha256 is verified: no partial file ever stands at the
 * destination. A content-addressed cache under $XDG_CACHE_HOME/devenv is
 * shared by every checkout, so the same artifact is downloaded once.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { DevenvError, errorMessage } from './errors.js';
import { onAbort as subscribeAbort } from './abort.js';
import { sweepLitter } from './files.js';
import { candidateUrls } from './mirrors.js';
import { redactUrl } from './redact.js';

export interface Progress {
  url: string;
  bytes: number;
  total?: number;
  /** bytes per second since this transfer started */
  rate?: number;
  /** seconds left, when the total is known */
  etaSeconds?: number;
}

export interface DownloadOptions {
  /** The upstream URL; mirror rules are applied to it. */
  url: string;
  /** Final path. */
  dest: string;
  /** Expected sha256 (hex), e.g. from a download index. Pinned checksums in config apply too. */
  sha256?: string;
  /** Also look for a checksum published beside the artifact (`<url>.sha256`), fetched through the same mirrors. */
  publishedChecksum?: boolean;
  /** File mode after the rename (e.g. 0o755). */
  mode?: number;
  /** Sent to every URL tried (upstream and mirrors). */
  headers?: Record<string, string>;
  /**
   * Credentials (e.g. Istio's AUTH_HEADER): sent only to the upstream URL's
   * origin, never to a mirror, and never shown.
   */
  authHeaders?: Record<string, string>;
  signal?: AbortSignal;
  /** Called as bytes arrive; see progressLogger() for a throttled log line. */
  onProgress?: (p: Progress) => void;
  /** Use and fill the shared cache (default true when a cache dir is configured). */
  cache?: boolean;
}

export type Verification =
  /** against a sha256 the caller passed (e.g. the Go download index) */
  | 'expected'
  /** against `checksums` in the devenv config */
  | 'pinned'
  /** against the `.sha256` published beside the artifact */
  | 'published'
  /** against the sha256 recorded when it was first downloaded (no upstream checksum exists) */
  | 'recorded'
  /** first download, nothing to verify against: its sha256 is now recorded */
  | 'first-use';

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** The URL the bytes came from (after mirror rewriting), or `cache`. */
  urlUsed: string;
  verified: Verification;
  fromCache: boolean;
}

export interface Downloader {
  download(opts: DownloadOptions): Promise<DownloadResult>;
  /** Fetches a small text resource (an index, a .sha256) through the mirrors. */
  fetchText(url: string, opts?: FetchTextOptions): Promise<{ text: string; urlUsed: string }>;
  /** What the cache knows about an upstream URL (its recorded sha256), without any network. */
  recorded(url: string): Promise<CacheEntry | undefined>;
}

export interface FetchTextOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Sent only to `url`'s own origin, never to a mirror. */
  authHeaders?: Record<string, string>;
}

const MiB = 1024 * 1024;

function human(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** One progress line: `envoy debug: 12.0 MiB of 40.0 MiB, 3.1 MiB/s, 9s left`. */
export function formatProgress(label: string, p: Progress): string {
  const parts = [`${human(p.bytes)}${p.total ? ` of ${human(p.total)}` : ''}`];
  if (p.rate) parts.push(`${human(p.rate)}/s`);
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) parts.push(`${Math.round(p.etaSeconds)}s left`);
  return `${label}: ${parts.join(', ')}`;
}

/**
 * An onProgress callback that logs at most once per `everyMs` (and once at the
 * end), so a non-TTY log gets a few lines, not one per chunk.
 */
export function progressLogger(log: (line: string) => void, label: string, everyMs = 2000): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    const done = p.total !== undefined && p.bytes >= p.total;
    if (!done && now - last < everyMs) return;
    last = now;
    log(formatProgress(label, p));
  };
}

/** The headers for one candidate URL: credentials only for the upstream origin. */
function headersFor(candidate: string, upstream: string, opts: { headers?: Record<string, string>; authHeaders?: Record<string, string> }) {
  let same = false;
  try {
    same = new URL(candidate).origin === new URL(upstream).origin;
  } catch {
    same = false;
  }
  return { ...opts.headers, ...(same ? opts.authHeaders : {}) };
}

export interface CacheEntry {
  sha256: string;
  verified: Verification;
  bytes: number;
}

interface Attempt {
  url: string;
  error: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    statusText: string,
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  }
}

function describeFailures(what: string, attempts: Attempt[]): DevenvError {
  const lines = attempts.map((a) => `${redactUrl(a.url)}: ${a.error}`);
  return new DevenvError(`could not download ${what}: ${lines.join('; ')}`, {
    suggestions: ['Check the network, or add a mirror under "mirrors.urls" in the devenv config.'],
  });
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    let off = () => {};
    const t = setTimeout(() => (off(), resolve()), ms);
    off = subscribeAbort(signal, () => (clearTimeout(t), resolve()));
  });

export function parseChecksumFile(text: string): string | undefined {
  return /\b([a-f0-9]{64})\b/i.exec(text)?.[1]?.toLowerCase();
}

async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** The cache: blobs by sha256, and an index from upstream URL to sha256. */
function createCache(dir: string | undefined) {
  const indexFile = dir ? path.join(dir, 'downloads.json') : undefined;
  const blob = (sha: string) => path.join(dir!, 'blobs', 'sha256', sha);
  let lock: Promise<unknown> = Promise.resolve();
  async function readIndex(): Promise<Record<string, CacheEntry>> {
    if (!indexFile) return {};
    try {
      return JSON.parse(await fs.readFile(indexFile, 'utf8')) as Record<string, CacheEntry>;
    } catch {
      return {};
    }
  }
  return {
    enabled: Boolean(dir),
    async get(url: string): Promise<CacheEntry | undefined> {
      return (await readIndex())[url];
    },
    async blobFor(sha: string): Promise<string | undefined> {
      return dir && (await exists(blob(sha))) ? blob(sha) : undefined;
    },
    /** Records url → sha and stores a copy of the file as a blob. */
    async put(url: string, file: string, entry: CacheEntry): Promise<void> {
      if (!dir || !indexFile) return;
      const run = async () => {
        const target = blob(entry.sha256);
        await fs.mkdir(path.dirname(target), { recursive: true });
        if (!(await exists(target))) {
          const tmp = `${target}.${randomBytes(4).toString('hex')}.part`;
          await fs.copyFile(file, tmp);
          await fs.chmod(tmp, 0o444).catch(() => {});
          await fs.rename(tmp, target);
        }
        const index = await readIndex();
        const prior = index[url];
        // A checksum from upstream beats one merely recorded on first use.
        if (!prior || prior.verified === 'first-use' || prior.sha256 === entry.sha256) index[url] = entry;
        const tmpIndex = `${indexFile}.${randomBytes(4).toString('hex')}.part`;
        await fs.writeFile(tmpIndex, JSON.stringify(index, null, 2) + '\n');
        await fs.rename(tmpIndex, indexFile);
      };
      const next = lock.then(run, run);
      lock = next.catch(() => {});
      await next;
    },
  };
}

export function createDownloader(config: Config, cacheDir?: string): Downloader {
  const cache = createCache(cacheDir);
  const retries = config.download.retries;
  const firstTimeout = (i: number, n: number) =>
    i === 0 && n > 1 && config.prefer === 'upstream' ? config.download.upstreamTimeoutMs : config.download.timeoutMs;

  /** A GET whose headers must arrive within `timeoutMs`; the returned controller aborts the body. */
  async function get(url: string, timeoutMs: number, opts: { signal?: AbortSignal; headers?: Record<string, string> }) {
    const { default: fetch } = await import('node-fetch');
    const ctl = new AbortController();
    const onAbort = () => ctl.abort();
    subscribeAbort(opts.signal, onAbort); // one listener per signal, however many requests (no MaxListenersExceededWarning)
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      const res = await fetch(url, { signal: ctl.signal, headers: opts.headers, redirect: 'follow', compress: false });
      return { res, ctl };
    } catch (err) {
      if (ctl.signal.aborted && !opts.signal?.aborted) throw new Error(`no response within ${Math.round(timeoutMs / 1000)}s`);
      throw new Error(errorMessage(err));
    } finally {
      clearTimeout(timer);
    }
  }

  async function fetchText(url: string, opts: FetchTextOptions = {}) {
    const urls = candidateUrls(url, config);
    const attempts: Attempt[] = [];
    for (const [i, u] of urls.entries()) {
      try {
        const { res } = await get(u, firstTimeout(i, urls.length), { signal: opts.signal, headers: headersFor(u, url, opts) });
        if (!res.ok) throw new HttpError(res.status, res.statusText);
        return { text: await res.text(), urlUsed: u };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        attempts.push({ url: u, error: errorMessage(err) });
      }
    }
    throw describeFailures(redactUrl(url), attempts);
  }

  /**
   * Streams one URL into `tmp`, resuming with Range after an interruption
   * (when the server answers 206) or restarting (when it answers 200).
   */
  async function transfer(u: string, tmp: string, timeoutMs: number, opts: DownloadOptions): Promise<{ sha256: string; bytes: number }> {
    let hash: Hash = createHash('sha256');
    let have = 0;
    let lastError = '';
    const started = Date.now();
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(200 * 2 ** (attempt - 1), 3000), opts.signal);
      if (opts.signal?.aborted) throw new Error('aborted');
      const headers = { ...headersFor(u, opts.url, opts), ...(have > 0 ? { range: `bytes=${have}-` } : {}) };
      let res;
      let ctl: AbortController;
      try {
        ({ res, ctl } = await get(u, timeoutMs, { signal: opts.signal, headers }));
      } catch (err) {
        lastError = errorMessage(err);
        continue;
      }
      if (res.status >= 400 && res.status < 500) throw new HttpError(res.status, res.statusText); // not worth retrying
      if (!res.ok || !res.body) {
        lastError = `HTTP ${res.status} ${res.statusText}`.trim();
        continue;
      }
      let total = Number(res.headers.get('content-length')) || undefined;
      if (have > 0 && res.status === 206 && (res.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`)) {
        total = total !== undefined ? total + have : undefined;
      } else if (have > 0) {
        // The server ignored Range: start over.
        hash = createHash('sha256');
        have = 0;
      }
      const out = createWriteStream(tmp, { flags: have > 0 ? 'a' : 'w', mode: 0o600 });
      let idle = setTimeout(() => ctl.abort(), config.download.timeoutMs);
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          clearTimeout(idle);
          idle = setTimeout(() => ctl.abort(), config.download.timeoutMs);
          hash.update(chunk);
          have += chunk.length;
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          const secs = (Date.now() - started) / 1000;
          const rate = secs > 0 ? have / secs : undefined;
          opts.onProgress?.({ url: u, bytes: have, total, rate, etaSeconds: total && rate ? (total - have) / rate : undefined });
        }
        if (total !== undefined && have < total) throw new Error(`transfer interrupted after ${have} of ${total} bytes`);
        return { sha256: hash.digest('hex'), bytes: have };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        lastError = ctl.signal.aborted
          ? `transfer stalled (no data for ${Math.round(config.download.timeoutMs / 1000)}s)`
          : `transfer interrupted after ${have}${total !== undefined ? ` of ${total}` : ''} bytes`;
      } finally {
        clearTimeout(idle);
        await new Promise<void>((resolve) => out.end(() => resolve()));
      }
    }
    throw new Error(`${lastError} (after ${retries + 1} attempts)`);
  }

  async function place(tmp: string, opts: DownloadOptions): Promise<void> {
    await fs.chmod(tmp, opts.mode ?? 0o644);
    await fs.rename(tmp, opts.dest);
  }

  async function download(opts: DownloadOptions): Promise<DownloadResult> {
    const useCache = opts.cache !== false && cache.enabled;
    const record = useCache ? await cache.get(opts.url) : undefined;
    let expected: string | undefined;
    let verified: Verification;
    if (opts.sha256) [expected, verified] = [opts.sha256.toLowerCase(), 'expected'];
    else if (config.checksums[opts.url]) [expected, verified] = [config.checksums[opts.url].toLowerCase(), 'pinned'];
    // Recorded by an earlier download: verify against that, with no network (first-use records stay "recorded").
    else if (record) [expected, verified] = [record.sha256, record.verified === 'first-use' ? 'recorded' : record.verified];
    else {
      let published: string | undefined;
      if (opts.publishedChecksum) {
        try {
          published = parseChecksumFile((await fetchText(`${opts.url}.sha256`, { signal: opts.signal, headers: opts.headers, authHeaders: opts.authHeaders })).text);
        } catch (err) {
          if (opts.signal?.aborted) throw err;
        }
      }
      if (published) [expected, verified] = [published, 'published'];
      else verified = 'first-use';
    }

    const dir = path.dirname(opts.dest);
    await fs.mkdir(dir, { recursive: true });
    await sweepLitter(dir, { base: path.basename(opts.dest) }); // .part files of an interrupted earlier run
    const tmp = path.join(dir, `.${path.basename(opts.dest)}.${randomBytes(4).toString('hex')}.part`);
    try {
      // 1. The shared cache: no network at all.
      const blob = useCache && expected ? await cache.blobFor(expected) : undefined;
      if (blob) {
        // A copy, not a link: the destination may be chmod-ed or edited; the blob must not change with it.
        await fs.copyFile(blob, tmp);
        const st = await fs.stat(tmp);
        const sum = await hashFile(tmp);
        if (sum === expected) {
          await place(tmp, opts);
          return { path: opts.dest, sha256: sum, bytes: st.size, urlUsed: 'cache', verified, fromCache: true };
        }
        await fs.rm(tmp, { force: true }); // a corrupt blob: download again
      }
      // 2. The network: upstream and mirrors in `prefer` order.
      const urls = candidateUrls(opts.url, config);
      const attempts: Attempt[] = [];
      for (const [i, u] of urls.entries()) {
        try {
          const got = await transfer(u, tmp, firstTimeout(i, urls.length), opts);
          if (expected && got.sha256 !== expected) {
            throw new DevenvError(
              `sha256 mismatch for ${redactUrl(u)}: expected ${expected} (${verified}), got ${got.sha256}; the file was not kept`,
            );
          }
          if (useCache) await cache.put(opts.url, tmp, { sha256: got.sha256, verified: verified === 'first-use' ? 'first-use' : verified, bytes: got.bytes });
          await place(tmp, opts);
          return { path: opts.dest, sha256: got.sha256, bytes: got.bytes, urlUsed: u, verified, fromCache: false };
        } catch (err) {
          await fs.rm(tmp, { force: true });
          if (opts.signal?.aborted) throw err;
          if (err instanceof DevenvError) throw err; // a checksum mismatch is never papered over by another source
          attempts.push({ url: u, error: errorMessage(err) });
        }
      }
      throw describeFailures(redactUrl(opts.url), attempts);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  return { download, fetchText, recorded: (url) => (cache.enabled ? cache.get(url) : Promise.resolve(undefined)) };
}

/**
 * Puts a file obtained without the network (an item of a devenv bundle, whose
 * sha256 the caller has verified) into the cache under its upstream URL, so
 * that a later download() of that URL is served from the cache. The file's
 * sha256 is checked again here; `verified` says how the bundle's creator
 * verified it upstream (a first-use record stays one).
 */
export async function seedCache(cacheDir: string, url: string, file: string, sha256: string, verified: Verification = 'first-use'): Promise<void> {
  const actual = await hashFile(file);
  if (actual !== sha256.toLowerCase()) throw new DevenvError(`sha256 mismatch for ${file}: expected ${sha256}, got ${actual}; not added to the download cache`);
  const { size } = await fs.stat(file);
  const kind: Verification = verified === 'recorded' ? 'first-use' : verified;
  await createCache(cacheDir).put(url, file, { sha256: actual, verified: kind, bytes: size });
}
