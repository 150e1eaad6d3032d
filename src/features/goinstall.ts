/**
 * Installs a Go release from the official download index (or a mirror of it)
 * into $XDG_DATA_HOME/devenv/toolchains/go<ver>: sha256 verified while
 * streaming, extracted into a temp dir, renamed into place only when complete.
 * An existing system Go is never touched.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Context } from '../engine/context.js';
import { progressLogger } from '../platform/download.js';
import { DevenvError } from '../platform/errors.js';
import { describeFsError, notAProgram, sweepLitter } from '../platform/files.js';
import { TarTreeSink } from '../platform/sinks.js';
import { goRoot, toolchainsDir } from './toolchains.js';
import { compareGoVersions, parseGoVersion } from '../platform/versions.js';

export interface GoFile {
  filename: string;
  os: string;
  arch: string;
  version: string;
  sha256: string;
  size?: number;
  kind: string;
}

export interface GoRelease {
  version: string;
  stable: boolean;
  files: GoFile[];
}

export const DEFAULT_GO_DOWNLOAD_BASE = 'https://go.dev/dl/';

export function downloadBase(ctx: Context): string {
  const base = ctx.config.go.downloadBase ?? DEFAULT_GO_DOWNLOAD_BASE;
  return base.endsWith('/') ? base : base + '/';
}

export function goOs(ctx: Context): string {
  return ctx.platform === 'darwin' ? 'darwin' : 'linux';
}

export function goArch(ctx: Context): string {
  if (ctx.arch === 'x64') return 'amd64';
  if (ctx.arch === 'arm64') return 'arm64';
  throw new DevenvError(`no Go download for architecture ${ctx.arch}`);
}

export async function fetchGoIndex(ctx: Context): Promise<{ releases: GoRelease[]; url: string }> {
  const url = `${downloadBase(ctx)}?mode=json&include=all`;
  let text: string;
  let urlUsed: string;
  try {
    ({ text, urlUsed } = await ctx.fetchText(url));
  } catch (err) {
    // No network: a copy that `devenv bundle load` put into the download cache will do.
    const cached = await cachedGoIndex(ctx, url);
    if (cached === undefined) throw err;
    ctx.log(`the Go download index is unreachable (${(err as Error).message.split(':')[0]}); using the copy in the download cache (from devenv bundle load)`);
    [text, urlUsed] = [cached, `${url} (download cache)`];
  }
  try {
    const releases = JSON.parse(text) as GoRelease[];
    if (!Array.isArray(releases)) throw new Error('not a list');
    return { releases, url: urlUsed };
  } catch (err) {
    throw new DevenvError(`the Go download index at ${urlUsed} is not valid JSON (${(err as Error).message})`);
  }
}

/** The index as a bundle seeded it into the download cache, read with no network; undefined when there is none. */
async function cachedGoIndex(ctx: Context, url: string): Promise<string | undefined> {
  const rec = await ctx.downloadRecord(url);
  if (!rec) return undefined;
  const dir = await ctx.fs.mkdtemp(path.join(os.tmpdir(), 'devenv-goindex-'));
  try {
    const got = await ctx.download({ url, dest: path.join(dir, 'index.json'), sha256: rec.sha256 });
    return await ctx.fs.readFile(got.path, 'utf8');
  } catch {
    return undefined;
  } finally {
    await ctx.fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The release to install for a requirement: an exact x.y.z when asked for one,
 * else the newest stable patch of that minor line (1.13 → go1.13.15).
 */
export function pickRelease(
  releases: GoRelease[],
  wanted: string,
  os: string,
  arch: string,
  opts: { exact?: boolean } = {},
): { release: GoRelease; file: GoFile } | undefined {
  const exact = opts.exact && /^\d+\.\d+\.\d+$/.test(wanted) ? wanted : undefined;
  const w = parseGoVersion(wanted);
  if (!w) return undefined;
  const candidates = releases
    .map((r) => ({ r, v: parseGoVersion(r.version) }))
    .filter(({ r, v }) => v && (exact ? r.version === `go${exact}` : r.stable && v.major === w.major && v.minor === w.minor && compareGoVersions(r.version, wanted) >= 0))
    .sort((a, b) => compareGoVersions(b.r.version, a.r.version));
  for (const { r } of candidates) {
    const file = r.files.find((f) => f.os === os && f.arch === arch && f.kind === 'archive');
    if (file) return { release: r, file };
  }
  return undefined;
}

/** Names from the download index become paths: a version is `go1.13.15` (or `go1.21rc2`), a file name one plain name. */
export function validateGoFile(release: GoRelease, file: GoFile, indexUrl = 'the Go download index'): void {
  if (typeof release.version !== 'string' || !/^go\d+(\.\d+){0,2}([a-z]+\d+)?$/.test(release.version)) {
    throw new DevenvError(`${indexUrl}: refusing release version ${JSON.stringify(String(release.version).slice(0, 80))}: not a Go version such as go1.13.15`);
  }
  const name = file.filename;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name) || name.includes('..') || name.length > 255) {
    throw new DevenvError(`${indexUrl}: refusing file name ${JSON.stringify(String(name).slice(0, 80))} of ${release.version}: not a plain file name`);
  }
}

/** Installs; returns the GOROOT. A no-op when that version is already installed. */
export async function installGo(ctx: Context, release: GoRelease, file: GoFile): Promise<string> {
  validateGoFile(release, file);
  const version = release.version.replace(/^go/, '');
  const dest = goRoot(ctx, version);
  if (await exists(ctx, path.join(dest, 'bin', 'go'))) return dest;
  const base = toolchainsDir(ctx);
  await ctx.fs.mkdir(base, { recursive: true });
  // Work dirs of interrupted installs (.go<ver>.devenv-<pid>-<hex>.tmp, or untagged ones from older devenv).
  await sweepLitter(base, { extra: /^\.go[0-9][^/]*\.tmp$/ });
  const tmp = path.join(base, `.go${version}.devenv-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await ctx.fs.mkdir(tmp);
  try {
    // Unpacked while it downloads (the tarball itself goes to the download cache only); used once its sha256 verified.
    const out = path.join(tmp, 'x');
    const sink = new TarTreeSink(out, file.filename);
    try {
      const got = await ctx.download({ url: downloadBase(ctx) + file.filename, sink, sha256: file.sha256, onProgress: progressLogger(ctx.log, `go${version}`) });
      await sink.end();
      ctx.log(`go${version}: verified sha256 ${got.sha256.slice(0, 12)}… from ${got.urlUsed}; extracted`);
    } catch (err) {
      await sink.abort();
      throw err;
    }
    const extracted = path.join(out, 'go');
    const odd = await notAProgram(path.join(extracted, 'bin', 'go')).catch(() => 'it is missing');
    if (odd) throw new DevenvError(`${file.filename} has no runnable go/bin/go (${odd}); it was not run and not installed`);
    const r = await ctx.exec(path.join(extracted, 'bin', 'go'), ['version'], { env: { ...ctx.env, GOROOT: extracted, GOTOOLCHAIN: 'local' }, cwd: tmp });
    if (!r.ok || !r.stdout.includes(`go${version}`)) {
      throw new DevenvError(`the extracted Go does not run as go${version}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.exitCode}`}`);
    }
    try {
      await ctx.fs.rename(extracted, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another devenv finished the same install first: use it.
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await exists(ctx, path.join(dest, 'bin', 'go')))) return dest;
      throw new DevenvError(
        code === 'ENOTEMPTY' || code === 'EEXIST'
          ? `cannot install go${version} at ${dest}: a directory is already there and it is not a complete Go (no bin/go)`
          : `cannot install go${version} at ${dest}: ${describeFsError(err)}`,
        { suggestions: code === 'ENOTEMPTY' || code === 'EEXIST' ? [`Look at it, then remove it if it is a leftover: rm -rf ${dest}`] : [] },
      );
    }
    return dest;
  } finally {
    await ctx.fs.rm(tmp, { recursive: true, force: true });
  }
}

async function exists(ctx: Context, p: string): Promise<boolean> {
  try {
    await ctx.fs.access(p);
    return true;
  } catch {
    return false;
  }
}
