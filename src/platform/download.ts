/**
 * The only module that imports node-fetch. Streams to a temp file beside the
 * destination, hashes while streaming, resumes an interrupted transfer with
 * HTTP Range where the server allows it, retries with backoff, and renames
 * only after the sha256 is verified: no partial file ever stands at the
 * destination. A content-addressed cache under $XDG_CACHE_HOME/devenv is
 * shared by every checkout, so the same artifact is downloaded once.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Agent } from 'node:http';
import path from 'node:path';
import { createCache, type CacheEntry, type Verification } from './cache.js';
import type { Config } from './config.js';
import { DevenvError, errorMessage } from './errors.js';
import { onAbort as subscribeAbort } from './abort.js';
import { describeFsError, sha256File, sweepLitter } from './files.js';
import { streamed } from './gc.js';
import { SinkWriteError, type ByteSink } from './sinks.js';
import { BATCH_BYTES, Batcher, StreamHash, writeToAll } from './writer.js';
import { candidateUrls, describeRule, forbiddenUpstream, mirrorRule } from './mirrors.js';
import { proxyFor, proxySettings, type ProxySettings } from './proxy.js';
import { redactUrl } from './redact.js';

export type { CacheEntry, Verification } from './cache.js';
export type { ByteSink } from './sinks.js';

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
  /**
   * Final path (renamed into place once verified). May be left out when a
   * `sink` takes the bytes: then they go to the sink and the cache only.
   */
  dest?: string;
  /**
   * Gets every byte as it arrives, in order (e.g. a tarball extracted while it
   * downloads: src/platform/sinks.ts). Reset when a transfer starts over. The
   * download resolves only after the sha256 verified; the caller then calls
   * `end()` and places what the sink wrote, or `abort()` when download() throws.
   */
  sink?: ByteSink;
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
  /** Called as bytes arrive: at most every 100 ms, and once more when the last byte is in (see progressLogger() for a log line every few seconds). */
  onProgress?: (p: Progress) => void;
  /** Use and fill the shared cache (default true when a cache dir is configured). */
  cache?: boolean;
  /** Largest artifact accepted; default config download.maxBytes. */
  maxBytes?: number;
}

export interface DownloadResult {
  /** `dest`; without one, the cache blob (or '' when the cache is off). */
  path: string;
  sha256: string;
  bytes: number;
  /** The URL the bytes came from (after mirror rewriting), or `cache`. */
  urlUsed: string;
  verified: Verification;
  fromCache: boolean;
  /**
   * Call once the artifact proved usable (it extracted, the binary ran). Only
   * then is a first-use sha256 recorded: a bad first response is never
   * remembered as the truth. A no-op for artifacts verified otherwise.
   */
  confirm(): Promise<void>;
}

export interface Downloader {
  download(opts: DownloadOptions): Promise<DownloadResult>;
  /** Fetches a small text resource (an index, a .sha256) through the mirrors. */
  fetchText(url: string, opts?: FetchTextOptions): Promise<{ text: string; urlUsed: string }>;
  /** What the cache knows about an upstream URL (its recorded sha256), without any network. */
  recorded(url: string): Promise<CacheEntry | undefined>;
  /** Whether `url` answers (any HTTP status) within `timeoutMs`, through the proxy in effect and the same rules. */
  probe(url: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ProbeResult>;
}

export interface ProbeResult {
  url: string;
  /** The HTTP status when the host answered. */
  status?: number;
  error?: string;
  /** Refused by --offline or mirror-only: nothing was sent. */
  refused?: boolean;
  /** The proxy used (redacted), or undefined when direct. */
  via?: string;
  ms: number;
}

export interface FetchTextOptions {
  signal?: AbortSignal;
  /** Largest body accepted (default 64 MiB, an index; a .sha256 is read with 1 MiB). */
  maxBytes?: number;
  headers?: Record<string, string>;
  /** Sent only to `url`'s own origin, never to a mirror. */
  authHeaders?: Record<string, string>;
}

const MiB = 1024 * 1024;
/** Caps on text responses: a checksum file, an index. */
export const CHECKSUM_MAX_BYTES = MiB;
export const INDEX_MAX_BYTES = 64 * MiB;
const MAX_REDIRECTS = 10;
/** How often a transfer tells its onProgress at most (and once more at the end). */
const PROGRESS_MS = 100;

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

function originOf(u: URL): string {
  return `${u.protocol}//${u.host}`.toLowerCase();
}

/**
 * One URL to request: its userinfo moved out of the URL into an Authorization
 * header bound to that URL's exact origin (scheme, host, port), plus the
 * caller's credentials when the URL is on the upstream's own origin.
 */
interface Target {
  url: URL;
  /** Shown in messages: credentials redacted. */
  shown: string;
  /** Headers sent only while a request stays on `authOrigin`. */
  auth: Record<string, string>;
  authOrigin: string;
  /** The mirror rule that produced this URL, for messages. */
  rule?: [string, string];
}

function targetFor(candidate: string, upstream: string, config: Config, authHeaders?: Record<string, string>): Target {
  const url = new URL(candidate);
  const auth: Record<string, string> = {};
  let up: URL | undefined;
  try {
    up = new URL(upstream);
  } catch {
    up = undefined;
  }
  if (up && originOf(up) === originOf(url)) Object.assign(auth, authHeaders);
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    auth.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const rule = candidate !== upstream ? mirrorRule(upstream, config) : undefined;
  return { url, shown: redactUrl(candidate), auth, authOrigin: originOf(url), rule };
}

function describeFailures(what: string, attempts: Attempt[]): DevenvError {
  // Why first, then where: a long message cut short on a terminal still says why. The URL asked for is
  // named once; an attempt at another URL (a mirror) names it, and a proxy the request went through.
  const lines = attempts.map(
    (a) => `${a.error}${a.url === what ? '' : ` at ${a.url}`}${a.via ? ` via proxy ${a.via}` : ''}${a.rule ? ` [mirror from ${describeRule(a.rule)}]` : ''}`,
  );
  return new DevenvError(`could not download ${what}: ${lines.join('; ')}`, {
    suggestions: attempts.some((a) => a.rule)
      ? ['Check that the mirror serves this path, or correct the rule under "mirrors.urls" in the devenv config.']
      : ['Check the network (and HTTPS_PROXY/NO_PROXY), or add a mirror under "mirrors.urls" in the devenv config.'],
  });
}

interface Attempt {
  url: string;
  error: string;
  rule?: [string, string];
  /** the proxy the request went through (redacted) */
  via?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    statusText: string,
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  }
}

/** A request devenv refused to make (offline, mirror-only): never retried, never worked around. */
export class NetworkPolicyError extends DevenvError {}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    let off = () => {};
    const t = setTimeout(() => (off(), resolve()), ms);
    off = subscribeAbort(signal, () => (clearTimeout(t), resolve()));
  });

export function parseChecksumFile(text: string): string | undefined {
  return /\b([a-f0-9]{64})\b/i.exec(text)?.[1]?.toLowerCase();
}

/** A response, read the same way whichever client made it. */
interface Res {
  status: number;
  statusText: string;
  ok: boolean;
  header(name: string): string | null;
  /**
   * Every body byte, in order, to `onChunk` (see RawResponse.read: a chunk is
   * valid until onChunk returns or its promise settles; nothing is read
   * meanwhile). Resolves at the end of the body.
   */
  read(onChunk: (chunk: Buffer) => Promise<void> | undefined): Promise<void>;
  /** Done with it, body unread (a redirect). */
  discard(): Promise<void>;
}

function fromFetch(res: import('node-fetch').Response): Res {
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    header: (name) => res.headers.get(name),
    async read(onChunk) {
      if (!res.body) return;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        const pending = onChunk(chunk);
        if (pending) await pending;
      }
    },
    discard: () => res.arrayBuffer().then(
      () => {},
      () => {},
    ),
  };
}

function fromRaw(res: import('./http1.js').RawResponse): Res {
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.status >= 200 && res.status < 300,
    header: res.header,
    read: res.read,
    discard: async () => res.destroy(),
  };
}

export interface DownloaderOptions {
  /** The environment proxies are read from (HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
  env?: Record<string, string | undefined>;
  /** Where cache repairs are reported. */
  log?: (line: string) => void;
}

export function createDownloader(config: Config, cacheDir?: string, dopts: DownloaderOptions = {}): Downloader {
  const log = dopts.log ?? (() => {});
  const cache = createCache(cacheDir, log);
  const retries = config.download.retries;
  const offline = config.network.offline;
  const proxies: ProxySettings = proxySettings(dopts.env ?? {}, config);
  const agents = new Map<string, Promise<Agent>>();
  const firstTimeout = (i: number, n: number) =>
    i === 0 && n > 1 && config.prefer === 'upstream' ? config.download.upstreamTimeoutMs : config.download.timeoutMs;

  /** The proxy a request to `url` goes through, redacted, for messages. */
  function viaOf(url: URL): string | undefined {
    const p = proxyFor(url, proxies);
    return p ? redactUrl(p) : undefined;
  }

  function agentFor(url: URL): Promise<Agent> | undefined {
    const proxy = proxyFor(url, proxies);
    if (!proxy) return undefined;
    const key = `${url.protocol} ${proxy}`;
    let a = agents.get(key);
    if (!a) {
      a =
        url.protocol === 'https:'
          ? import('https-proxy-agent').then(({ HttpsProxyAgent }) => new HttpsProxyAgent(proxy, { keepAlive: false }) as unknown as Agent)
          : import('http-proxy-agent').then(({ HttpProxyAgent }) => new HttpProxyAgent(proxy, { keepAlive: false }) as unknown as Agent);
      agents.set(key, a);
    }
    return a;
  }

  /** Refuses what --offline and prefer=mirror-only forbid, before any socket is opened. */
  function guard(url: URL, shown: string): void {
    if (offline) {
      throw new NetworkPolicyError(`offline: not contacting ${shown} (--offline or network.offline)`, {
        suggestions: ['Run once without --offline to fetch it into the download cache.'],
      });
    }
    const rule = forbiddenUpstream(url.href, config);
    if (rule) {
      throw new NetworkPolicyError(`prefer "mirror-only": not contacting ${shown}, an upstream host with a mirror rule (${describeRule(rule)})`, {
        suggestions: ['Add a mirrors.urls rule for this URL, or set prefer to "mirror" to allow the upstream.'],
      });
    }
  }

  /**
   * A GET whose headers must arrive within `timeoutMs`, through the proxy in
   * effect, following redirects itself: credentials go only to their own
   * origin, so a redirect to another host, port or scheme drops them. With
   * `bulk` (a download's body) and no proxy, the request is made by
   * src/platform/http1.ts, which reads the body into two reused buffers; a
   * response it leaves (a chunked one) is asked for again through node-fetch.
   */
  async function get(t: Target, timeoutMs: number, opts: { signal?: AbortSignal; headers?: Record<string, string>; bulk?: boolean }) {
    const ctl = new AbortController();
    const onAbort = () => ctl.abort();
    subscribeAbort(opts.signal, onAbort); // one listener per signal, however many requests (no MaxListenersExceededWarning)
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let url = t.url;
    let shown = t.shown;
    try {
      for (let hop = 0; ; hop++) {
        guard(url, shown);
        const sameOrigin = originOf(url) === t.authOrigin;
        const headers = { ...opts.headers, ...(sameOrigin ? t.auth : {}) };
        const agent = agentFor(url);
        let res: Res | undefined;
        if (opts.bulk && !agent && (url.protocol === 'http:' || url.protocol === 'https:')) {
          const { rawGet, Unsupported } = await import('./http1.js');
          try {
            res = fromRaw(await rawGet(url, { headers, signal: ctl.signal }));
          } catch (err) {
            if (!(err instanceof Unsupported)) throw err;
          }
        }
        if (!res) {
          const { default: fetch } = await import('node-fetch');
          res = fromFetch(await fetch(url.href, { signal: ctl.signal, headers, redirect: 'manual', compress: false, agent: agent ? await agent : undefined }));
        }
        const location = res.header('location');
        if (res.status >= 300 && res.status < 400 && res.status !== 304 && location) {
          await res.discard();
          if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
          url = new URL(location, url);
          shown = redactUrl(url.href);
          continue;
        }
        return { res, ctl, finalUrl: shown };
      }
    } catch (err) {
      if (err instanceof NetworkPolicyError) throw err;
      if (ctl.signal.aborted && !opts.signal?.aborted) throw new Error(`no response within ${Math.round(timeoutMs / 1000)}s`);
      // node-fetch says "request to <url> failed, reason: <why>": the URL is named by the caller already
      throw new Error(redactUrl(errorMessage(err).replace(/^request to \S+ failed, reason: /, '')));
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async function readCapped(res: Res, max: number, what: string): Promise<string> {
    const chunks: Buffer[] = [];
    let n = 0;
    await res.read((chunk) => {
      n += chunk.length;
      if (n > max) throw new Error(`response larger than ${human(max)}: refused (${what})`);
      chunks.push(Buffer.from(chunk)); // a chunk may be a view of a buffer read into again
      return undefined;
    });
    return Buffer.concat(chunks).toString('utf8');
  }

  async function fetchText(url: string, opts: FetchTextOptions = {}) {
    const urls = candidateUrls(url, config);
    const attempts: Attempt[] = [];
    const max = opts.maxBytes ?? INDEX_MAX_BYTES;
    for (const [i, u] of urls.entries()) {
      const t = targetFor(u, url, config, opts.authHeaders);
      try {
        const { res, ctl } = await get(t, firstTimeout(i, urls.length), { signal: opts.signal, headers: opts.headers });
        if (!res.ok) {
          ctl.abort();
          throw new HttpError(res.status, res.statusText);
        }
        const declared = Number(res.header('content-length'));
        if (declared > max) {
          ctl.abort();
          throw new Error(`response of ${human(declared)} is larger than ${human(max)}: refused`);
        }
        try {
          return { text: await readCapped(res, max, t.shown), urlUsed: t.shown };
        } finally {
          ctl.abort();
        }
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        if (err instanceof NetworkPolicyError && urls.length === 1) throw err;
        attempts.push({ url: t.shown, error: errorMessage(err), rule: t.rule, via: viaOf(t.url) });
      }
    }
    throw describeFailures(redactUrl(url), attempts);
  }

  /**
   * Streams one URL into every file of `files` and the sink, resuming with
   * Range after an interruption (when the server answers 206) or restarting
   * (when it answers 200; the sink is reset). Chunks are collected into
   * batches; a batch is hashed and written everywhere (by the writer thread)
   * while the next fills, and no more than that is held, so memory stays flat.
   */
  async function transfer(t: Target, files: string[], sink: SinkState, timeoutMs: number, opts: DownloadOptions): Promise<{ sha256: string; bytes: number }> {
    let hash = new StreamHash(); // taken by the writer thread as the batches are written
    let have = 0;
    let lastError = '';
    const max = opts.maxBytes ?? config.download.maxBytes;
    const started = Date.now();
    let toldAt = 0; // when onProgress was last called
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(200 * 2 ** (attempt - 1), 3000), opts.signal);
      if (opts.signal?.aborted) throw new Error('aborted');
      // Everything that waits is done before the request: once the response is here its body is read at once
      // (a body that fails before it is read loses what had arrived, and a resume would start too late).
      if (have === 0) await sink.restart();
      const handles: fs.FileHandle[] = [];
      const out = new Batcher((buf) => deliverChunk(buf, handles, files, sink, hash));
      let idle: NodeJS.Timeout | undefined;
      let ctl: AbortController | undefined;
      try {
        for (const f of files) handles.push(await fs.open(f, have > 0 ? 'a' : 'w', 0o600));
        const headers = { ...opts.headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) };
        let res;
        try {
          ({ res, ctl } = await get(t, timeoutMs, { signal: opts.signal, headers, bulk: true }));
        } catch (err) {
          if (err instanceof NetworkPolicyError) throw err;
          lastError = errorMessage(err);
          continue;
        }
        if (res.status >= 400 && res.status < 500) throw new HttpError(res.status, res.statusText); // not worth retrying
        if (!res.ok) {
          lastError = `HTTP ${res.status} ${res.statusText}`.trim();
          continue;
        }
        let total = Number(res.header('content-length')) || undefined;
        let restart = false;
        if (have > 0 && res.status === 206 && (res.header('content-range') ?? '').startsWith(`bytes ${have}-`)) {
          total = total !== undefined ? total + have : undefined;
        } else if (have > 0) {
          // The server ignored Range: start over (the files are opened for appending: emptied, they fill from 0).
          void hash.digest().catch(() => {}); // forgotten
          hash = new StreamHash();
          have = 0;
          restart = true;
        }
        if (total !== undefined && total > max) throw new TooLarge(`${t.shown} is ${human(total)}, larger than the ${human(max)} limit (download.maxBytes)`);
        const abort = ctl;
        const timer = setTimeout(() => abort.abort(), config.download.timeoutMs);
        idle = timer;
        /** One piece of the body: a promise when the piece must stay unchanged until it settles. */
        const take = (chunk: Buffer): Promise<void> | undefined => {
          timer.refresh(); // the same timer, restarted: nothing allocated per chunk
          if (restart) {
            restart = false;
            return Promise.all([sink.restart(), ...handles.map((h) => h.truncate(0))]).then(() => take(chunk));
          }
          have += chunk.length;
          if (have > max) throw new TooLarge(`${t.shown} sent more than the ${human(max)} limit (download.maxBytes); the transfer was stopped`);
          const filling = out.add(chunk);
          if (opts.onProgress) {
            // told at most every PROGRESS_MS and at the end: not once per piece (~25,000 per 400 MiB over TLS)
            const now = Date.now();
            if (now - toldAt >= PROGRESS_MS || have === total) {
              toldAt = now;
              const secs = (now - started) / 1000;
              const rate = secs > 0 ? have / secs : undefined;
              opts.onProgress({ url: t.shown, bytes: have, total, rate, etaSeconds: total && rate ? (total - have) / rate : undefined });
            }
          }
          return filling;
        };
        try {
          await res.read(take);
          await out.finish();
          if (total !== undefined && have < total) throw new Error(`transfer interrupted after ${have} of ${total} bytes`);
          return { sha256: await hash.digest(), bytes: have };
        } catch (err) {
          if (opts.signal?.aborted || err instanceof TooLarge || err instanceof WriteFailure || err instanceof SinkFailure) throw err;
          // Network trouble: what was read is written before a retry resumes after it (a failing write is the error then).
          await out.finish();
          lastError = abort.signal.aborted
            ? `transfer stalled (no data for ${Math.round(config.download.timeoutMs / 1000)}s)`
            : `transfer interrupted after ${have}${total !== undefined ? ` of ${total}` : ''} bytes`;
        }
      } finally {
        clearTimeout(idle);
        ctl?.abort();
        await out.settle();
        await Promise.all(handles.map((h) => h.close().catch(() => {})));
      }
    }
    throw new Error(`${lastError} (after ${retries + 1} attempts)`);
  }

  /** Reads a file once: hashes it and hands it to the files and the sink (a cache hit). */
  async function feedFile(file: string, files: string[], sink: SinkState): Promise<{ sha256: string; bytes: number }> {
    const hash = new StreamHash();
    let bytes = 0;
    await sink.restart();
    const src = await fs.open(file, 'r');
    const handles: fs.FileHandle[] = [];
    const out = new Batcher((buf) => deliverChunk(buf, handles, files, sink, hash));
    try {
      for (const f of files) handles.push(await fs.open(f, 'w', 0o600));
      const buf = Buffer.allocUnsafeSlow(BATCH_BYTES); // read into again and again: add() copies it
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        bytes += bytesRead;
        const filling = out.add(chunk);
        if (filling) await filling;
      }
      await out.finish();
    } finally {
      await out.settle();
      await src.close();
      await Promise.all(handles.map((h) => h.close().catch(() => {})));
    }
    return { sha256: await hash.digest(), bytes };
  }

  async function place(tmp: string, opts: DownloadOptions): Promise<void> {
    await fs.chmod(tmp, opts.mode ?? 0o644);
    await fs.rename(tmp, opts.dest!);
  }

  const noop = async () => {};

  async function download(opts: DownloadOptions): Promise<DownloadResult> {
    const useCache = opts.cache !== false && cache.enabled;
    const record = useCache ? await cache.get(opts.url) : undefined;
    let expected: string | undefined;
    let verified: Verification;
    if (opts.sha256) [expected, verified] = [opts.sha256.toLowerCase(), 'expected'];
    else if (config.checksums[opts.url]) [expected, verified] = [config.checksums[opts.url].toLowerCase(), 'pinned'];
    // Recorded by an earlier download: verify against that, with no network (first-use records stay "recorded").
    else if (record) [expected, verified] = [record.sha256, record.verified === 'first-use' ? 'recorded' : record.verified];
    else verified = 'first-use';
    // A checksum published beside the artifact is asked for while the artifact itself downloads (one round
    // trip less before the first byte); it is what the bytes are checked against once they are all here.
    let published: Promise<string | undefined> | undefined;
    if (!expected && opts.publishedChecksum && !offline) {
      published = fetchText(`${opts.url}.sha256`, { signal: opts.signal, headers: opts.headers, authHeaders: opts.authHeaders, maxBytes: CHECKSUM_MAX_BYTES }).then(
        (r) => parseChecksumFile(r.text),
        () => undefined, // none published (or unreachable): first use
      );
    }

    let tmp: string | undefined;
    if (opts.dest) {
      const dir = path.dirname(opts.dest);
      await fs.mkdir(dir, { recursive: true });
      await sweepLitter(dir, { base: path.basename(opts.dest) }); // .part files of an interrupted earlier run
      tmp = path.join(dir, `.${path.basename(opts.dest)}.${randomBytes(4).toString('hex')}.part`);
    } else if (!opts.sink) {
      throw new Error('download() needs a dest or a sink');
    }
    const sink = sinkState(opts.sink);
    let incoming: string | undefined;
    try {
      // 1. The shared cache: no network at all. Read once: hashed, copied to dest, fed to the sink.
      const blob = useCache && expected ? await cache.blobFor(expected) : undefined;
      if (blob) {
        let got: { sha256: string; bytes: number } | undefined;
        try {
          got = await feedFile(blob, tmp ? [tmp] : [], sink);
        } catch (err) {
          // The sink refused the bytes (not an archive): a damaged blob is fetched again, a verified one is the artifact's fault.
          if (!(err instanceof SinkFailure)) throw err;
          if ((await sha256File(blob)) === expected) throw err.failure;
        }
        if (got && got.sha256 === expected) {
          if (tmp) await place(tmp, opts);
          return { path: opts.dest ?? blob, sha256: got.sha256, bytes: got.bytes, urlUsed: 'cache', verified, fromCache: true, confirm: noop };
        }
        // A damaged blob: removed, so the download below puts the right bytes in its place.
        if (tmp) await fs.rm(tmp, { force: true });
        await fs.rm(blob, { force: true });
      }
      if (offline) {
        throw new NetworkPolicyError(`offline: ${redactUrl(opts.url)} is not in the download cache (--offline or network.offline)`, {
          suggestions: ['Run the same fix once without --offline to fetch it into the cache.'],
        });
      }
      // 2. The network: upstream and mirrors in `prefer` order. The cache's copy is written as the bytes arrive.
      incoming = useCache ? await cache.incoming() : undefined;
      const files = [tmp, incoming].filter((f): f is string => f !== undefined);
      const urls = candidateUrls(opts.url, config);
      const attempts: Attempt[] = [];
      for (const [i, u] of urls.entries()) {
        const t = targetFor(u, opts.url, config, opts.authHeaders);
        try {
          const got = await transfer(t, files, sink, firstTimeout(i, urls.length), opts);
          const sum = await published;
          if (opts.signal?.aborted) throw new Error('aborted');
          if (sum) [expected, verified] = [sum, 'published'];
          if (expected && got.sha256 !== expected) {
            const recover =
              verified === 'recorded'
                ? ` The expected sha256 was recorded on the first download of ${redactUrl(opts.url)}; if the upstream artifact really changed, forget that record with \`devenv cache clear ${redactUrl(opts.url)}\` and run the fix again.`
                : '';
            throw new DevenvError(`sha256 mismatch for ${t.shown}: expected ${expected} (${verified}), got ${got.sha256}; the file was not kept.${recover}`);
          }
          let confirm = noop;
          let cached: string | undefined;
          if (incoming) {
            cached = await cache.adopt(incoming, got.sha256);
            incoming = undefined;
            if (verified === 'first-use') {
              // The bytes are kept, but the record waits until the caller proved the artifact usable.
              let done = false;
              confirm = async () => {
                if (done) return;
                done = true;
                await cache.put(opts.url, undefined, { sha256: got.sha256, verified: 'first-use', bytes: got.bytes });
              };
            } else {
              await cache.put(opts.url, undefined, { sha256: got.sha256, verified, bytes: got.bytes });
            }
          }
          if (tmp) await place(tmp, opts);
          return { path: opts.dest ?? cached ?? '', sha256: got.sha256, bytes: got.bytes, urlUsed: t.shown, verified, fromCache: false, confirm };
        } catch (err) {
          if (tmp) await fs.rm(tmp, { force: true });
          if (opts.signal?.aborted) throw err;
          if (err instanceof DevenvError && !(err instanceof NetworkPolicyError)) throw err; // a checksum mismatch is never papered over by another source
          if (err instanceof SinkFailure && urls.length === 1) throw err.failure;
          if (err instanceof TooLarge) throw new DevenvError(err.message, { suggestions: ['Raise download.maxBytes in the devenv config if this artifact is really that large.'] });
          if (err instanceof NetworkPolicyError && urls.length === 1) throw err;
          attempts.push({ url: t.shown, error: errorMessage(err), rule: t.rule, via: viaOf(t.url) });
        }
      }
      throw describeFailures(redactUrl(opts.url), attempts);
    } finally {
      if (tmp) await fs.rm(tmp, { force: true });
      if (incoming) await fs.rm(incoming, { force: true });
    }
  }

  async function probe(url: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ProbeResult> {
    const started = Date.now();
    const t = targetFor(url, url, config);
    const via = viaOf(t.url);
    try {
      const { res, ctl } = await get(t, opts.timeoutMs, { signal: opts.signal });
      ctl.abort();
      return { url: t.shown, status: res.status, via, ms: Date.now() - started };
    } catch (err) {
      return { url: t.shown, error: errorMessage(err), refused: err instanceof NetworkPolicyError, via, ms: Date.now() - started };
    }
  }

  return { download, fetchText, probe, recorded: (url) => (cache.enabled ? cache.get(url) : Promise.resolve(undefined)) };
}

/**
 * Puts a file obtained without the network (an item of a devenv bundle, whose
 * sha256 the caller has verified) into the cache under its upstream URL, so
 * that a later download() of that URL is served from the cache. The file's
 * sha256 is checked again here; `verified` says how the bundle's creator
 * verified it upstream (a first-use record stays one).
 */
export async function seedCache(cacheDir: string, url: string, file: string, sha256: string, verified: Verification = 'first-use'): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== sha256.toLowerCase()) throw new DevenvError(`sha256 mismatch for ${file}: expected ${sha256}, got ${actual}; not added to the download cache`);
  const { size } = await fs.stat(file);
  const kind: Verification = verified === 'recorded' ? 'first-use' : verified;
  await createCache(cacheDir).put(url, file, { sha256: actual, verified: kind, bytes: size });
}
class TooLarge extends Error {}

/** A local write failed (disk full, permissions): final, whatever the source. */
class WriteFailure extends DevenvError {}

/** One batch to every file and the sink; a sink's verdict and a write error are told apart from network trouble. */
async function deliverChunk(buf: Buffer, handles: fs.FileHandle[], files: readonly string[], sink: SinkState, hash: StreamHash): Promise<void> {
  await Promise.all([
    writeToAll(
      handles.map((h) => h.fd),
      buf,
      hash,
    ).catch((err: unknown) => {
      // which file names the filesystem that is full or read-only (the cache's may not be the checkout's)
      const at = handles.findIndex((h) => h.fd === (err as { fd?: number } | undefined)?.fd);
      throw new WriteFailure(`cannot write ${at >= 0 ? files[at] : 'the download'}: ${describeFsError(err)}`, { cause: err });
    }),
    sink.write(buf).catch((err: unknown) => {
      if (err instanceof SinkWriteError) throw new WriteFailure(err.message, { cause: err });
      throw err instanceof DevenvError ? new SinkFailure(err) : new WriteFailure(`cannot write the download: ${describeFsError(err)}`, { cause: err });
    }),
  ]);
  streamed(buf.length);
}

/** What the sink made of the bytes (e.g. a corrupt archive): this source failed, another may do. */
class SinkFailure extends Error {
  constructor(readonly failure: DevenvError) {
    super(failure.message);
  }
}

/** A caller's sink (or none), reset before a transfer that starts from byte 0 once it has seen bytes. */
interface SinkState {
  write(chunk: Buffer): Promise<void>;
  restart(): Promise<void>;
}

function sinkState(sink: ByteSink | undefined): SinkState {
  let dirty = false;
  return {
    async write(chunk) {
      if (!sink) return;
      dirty = true;
      await sink.write(chunk);
    },
    async restart() {
      if (sink && dirty) await sink.reset();
      dirty = false;
    },
  };
}

/** The cache alone (for `devenv cache verify|clear`). */
export { createCache } from './cache.js';
