/**
 * Installs a Go release from the official download index (or a mirror of it)
 * into $XDG_DATA_HOME/devenv/toolchains/go<ver>: sha256 verified while
 * streaming, extracted into a temp dir, renamed into place only when complete.
 * An existing system Go is never touched.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Context } from '../engine/context.js';
import { progressLogger } from '../platform/download.js';
import { DevenvError } from '../platform/errors.js';
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
  const { text, urlUsed } = await ctx.fetchText(url);
  try {
    const releases = JSON.parse(text) as GoRelease[];
    if (!Array.isArray(releases)) throw new Error('not a list');
    return { releases, url: urlUsed };
  } catch (err) {
    throw new DevenvError(`the Go download index at ${urlUsed} is not valid JSON (${(err as Error).message})`);
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

/** Installs; returns the GOROOT. A no-op when that version is already installed. */
export async function installGo(ctx: Context, release: GoRelease, file: GoFile): Promise<string> {
  const version = release.version.replace(/^go/, '');
  const dest = goRoot(ctx, version);
  if (await exists(ctx, path.join(dest, 'bin', 'go'))) return dest;
  const base = toolchainsDir(ctx);
  await ctx.fs.mkdir(base, { recursive: true });
  const tmp = path.join(base, `.go${version}.${randomBytes(4).toString('hex')}.tmp`);
  await ctx.fs.mkdir(tmp);
  try {
    const archive = path.join(tmp, file.filename);
    const got = await ctx.download({
      url: downloadBase(ctx) + file.filename,
      dest: archive,
      sha256: file.sha256,
      onProgress: progressLogger(ctx.log, `go${version}`),
    });
    ctx.log(`go${version}: verified sha256 ${got.sha256.slice(0, 12)}… from ${got.urlUsed}; extracting`);
    const tar = await import('tar');
    const out = path.join(tmp, 'x');
    await ctx.fs.mkdir(out);
    await tar.x({ file: archive, cwd: out, strict: true });
    const extracted = path.join(out, 'go');
    const r = await ctx.exec(path.join(extracted, 'bin', 'go'), ['version'], { env: { ...ctx.env, GOROOT: extracted, GOTOOLCHAIN: 'local' }, cwd: '/' });
    if (!r.ok || !r.stdout.includes(`go${version}`)) {
      throw new DevenvError(`the extracted Go does not run as go${version}: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? `exit ${r.exitCode}`}`);
    }
    await ctx.fs.rename(extracted, dest);
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
