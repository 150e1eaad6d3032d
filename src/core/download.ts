/**
 * The only module that imports node-fetch. Streams to a temp file beside the
 * destination, hashes while streaming, and renames only after the sha256 is
 * verified: no partial file ever stands at the destination.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import fetch, { type Response } from 'node-fetch';
import type { Config } from './config.js';
import { DevenvError, errorMessage } from './errors.js';
import { candidateUrls } from './mirrors.js';
import { redactUrl } from './redact.js';

export interface Progress {
  url: string;
  bytes: number;
  total?: number;
}

export interface DownloadOptions {
  /** The upstream URL; mirror rules are applied to it. */
  url: string;
  /** Final path. */
  dest: string;
  /** Expected sha256 (hex). Pinned checksums in config apply too. */
  sha256?: string;
  /** File mode after the rename (e.g. 0o755). */
  mode?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  /** The URL the bytes came from (after mirror rewriting). */
  urlUsed: string;
  /** How the content was verified. */
  verified: 'expected' | 'pinned' | 'unverified';
}

export interface Downloader {
  download(opts: DownloadOptions): Promise<DownloadResult>;
  /** Fetches a small text resource (an index, a .sha256) through the mirrors. */
  fetchText(url: string, opts?: { signal?: AbortSignal; headers?: Record<string, string> }): Promise<{ text: string; urlUsed: string }>;
}

interface Attempt {
  url: string;
  error: string;
}

function describeFailures(what: string, attempts: Attempt[]): DevenvError {
  const lines = attempts.map((a) => `${redactUrl(a.url)}: ${a.error}`);
  return new DevenvError(`could not download ${what}: ${lines.join('; ')}`, {
    suggestions: ['Check the network or add a mirror under "mirrors.urls" in the devenv config.'],
  });
}

async function get(url: string, cfg: Config, timeoutMs: number, opts: { signal?: AbortSignal; headers?: Record<string, string> }): Promise<{ res: Response; ctl: AbortController; timer: NodeJS.Timeout }> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ctl.signal, headers: opts.headers, redirect: 'follow' });
    return { res, ctl, timer };
  } catch (err) {
    clearTimeout(timer);
    if (ctl.signal.aborted && !opts.signal?.aborted) throw new Error(`no response within ${Math.round(timeoutMs / 1000)}s`);
    throw new Error(errorMessage(err));
  }
}

export function createDownloader(config: Config): Downloader {
  const firstTimeout = (i: number, n: number) =>
    i === 0 && n > 1 && config.prefer === 'upstream' ? config.download.upstreamTimeoutMs : config.download.timeoutMs;

  async function fetchText(url: string, opts: { signal?: AbortSignal; headers?: Record<string, string> } = {}) {
    const urls = candidateUrls(url, config);
    const attempts: Attempt[] = [];
    for (const [i, u] of urls.entries()) {
      try {
        const { res, timer } = await get(u, config, firstTimeout(i, urls.length), opts);
        try {
          if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
          return { text: await res.text(), urlUsed: u };
        } finally {
          clearTimeout(timer);
        }
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        attempts.push({ url: u, error: errorMessage(err) });
      }
    }
    throw describeFailures(redactUrl(url), attempts);
  }

  async function download(opts: DownloadOptions): Promise<DownloadResult> {
    const expected = (opts.sha256 ?? config.checksums[opts.url])?.toLowerCase();
    const verified: DownloadResult['verified'] = opts.sha256 ? 'expected' : expected ? 'pinned' : 'unverified';
    const dir = path.dirname(opts.dest);
    await fs.mkdir(dir, { recursive: true });
    const urls = candidateUrls(opts.url, config);
    const attempts: Attempt[] = [];
    for (const [i, u] of urls.entries()) {
      const tmp = path.join(dir, `.${path.basename(opts.dest)}.${randomBytes(4).toString('hex')}.part`);
      try {
        const { res, ctl, timer } = await get(u, config, firstTimeout(i, urls.length), opts);
        try {
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
          const total = Number(res.headers.get('content-length')) || undefined;
          const hash = createHash('sha256');
          let bytes = 0;
          const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
          let idle = setTimeout(() => ctl.abort(), config.download.timeoutMs);
          clearTimeout(timer);
          try {
            for await (const chunk of res.body as AsyncIterable<Buffer>) {
              clearTimeout(idle);
              idle = setTimeout(() => ctl.abort(), config.download.timeoutMs);
              hash.update(chunk);
              bytes += chunk.length;
              if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
              opts.onProgress?.({ url: u, bytes, total });
            }
          } catch (err) {
            throw new Error(ctl.signal.aborted && !opts.signal?.aborted ? 'transfer stalled' : `transfer interrupted: ${errorMessage(err)}`);
          } finally {
            clearTimeout(idle);
            await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
          }
          if (total !== undefined && bytes !== total) throw new Error(`transfer interrupted after ${bytes} of ${total} bytes`);
          const sum = hash.digest('hex');
          if (expected && sum !== expected) {
            throw new DevenvError(`sha256 mismatch for ${redactUrl(u)}: expected ${expected}, got ${sum}; the file was not kept`);
          }
          if (opts.mode !== undefined) await fs.chmod(tmp, opts.mode);
          else await fs.chmod(tmp, 0o644);
          await fs.rename(tmp, opts.dest);
          return { path: opts.dest, sha256: sum, bytes, urlUsed: u, verified };
        } finally {
          clearTimeout(timer);
        }
      } catch (err) {
        await fs.rm(tmp, { force: true });
        if (opts.signal?.aborted) throw err;
        if (err instanceof DevenvError) throw err; // a checksum mismatch is never retried elsewhere silently
        attempts.push({ url: u, error: errorMessage(err) });
      }
    }
    throw describeFailures(redactUrl(opts.url), attempts);
  }

  return { download, fetchText };
}
