/**
 * `devenv bundle create`: fetches everything a checkout's line needs (through
 * ctx.download, so the download cache and mirrors apply and a re-run fetches
 * nothing it already has), stages it on disk, then streams one tar: the
 * manifest first, then every item. Memory stays flat: items are files, copied
 * chunk by chunk.
 */
import { createGunzip, createGzip } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { IstioContext as Context } from '../../istio/project.js';
import { progressLogger } from '../../platform/download.js';
import { sha256File } from '../../platform/files.js';
import { DevenvError, UsageError, errorMessage } from '../../platform/errors.js';
import { mirrorImage } from '../../platform/mirrors.js';
import { downloadBase, fetchGoIndex, pickRelease, type GoRelease } from '../goinstall.js';
import { inspectImage, pull } from '../images.js';
import { probeDaemon } from '../docker.js';
import { resolveGo } from '../toolchains.js';
import { BUNDLE_SCHEMA, INCLUDES, MANIFEST_NAME, humanBytes, lineOf, type BundleCheckout, type BundleManifest, type Include, type ManifestItem } from './manifest.js';
import { artifactSources, goRequirement, imageSources } from './sources.js';
import { TarWriter } from './tar.js';

export interface CreateOptions {
  /** Output file; default devenv-bundle-<version>-<commit>.tar[.gz] in the current directory. */
  out?: string;
  platforms: string[];
  include: Include[];
  gzip?: boolean;
  devenvVersion: string;
}

/** An item ready to be written: its manifest entry and the file holding its bytes. */
export interface StagedItem extends ManifestItem {
  file: string;
}

export interface CollectResult {
  items: StagedItem[];
  notes: string[];
  /** items that came over the network this run (the rest came from the download cache or the local engine) */
  fetched: string[];
}

export interface CreateResult {
  file: string;
  manifest: BundleManifest;
  bytes: number;
  fetched: string[];
}

const PLATFORM = /^(linux|darwin)\/(amd64|arm64)$/;

export function parsePlatforms(value: string | undefined, ctx: Context): string[] {
  if (!value) return [`${ctx.platform === 'darwin' ? 'darwin' : 'linux'}/${ctx.arch === 'arm64' ? 'arm64' : 'amd64'}`];
  const list = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  const badOne = list.find((p) => !PLATFORM.test(p));
  if (badOne || list.length === 0) throw new UsageError(`--platform ${value}: expected a comma-separated list of linux/amd64, linux/arm64, darwin/amd64, darwin/arm64`);
  return list;
}

export function parseInclude(value: string | undefined): Include[] {
  if (!value) return [...INCLUDES];
  const list = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  const badOne = list.find((p) => !INCLUDES.includes(p as Include));
  if (badOne || list.length === 0) throw new UsageError(`--include ${value}: unknown part ${JSON.stringify(badOne ?? '')}; expected some of ${INCLUDES.join(', ')}`);
  return list as Include[];
}

export async function readCheckout(ctx: Context): Promise<BundleCheckout> {
  const version = ctx.projectVersion;
  const git = async (args: string[]) => {
    const r = await ctx.exec('git', ['-C', ctx.root!, ...args], { timeoutMs: 10_000, env: { ...ctx.env, GIT_OPTIONAL_LOCKS: '0' } });
    return r.ok ? r.stdout.trim() : null;
  };
  const [commit, status] = ctx.root ? await Promise.all([git(['rev-parse', 'HEAD']), git(['status', '--porcelain'])]) : [null, null];
  return { line: lineOf(version), version, commit: commit && /^[0-9a-f]{40,64}$/.test(commit) ? commit : null, dirty: status === null ? null : status.length > 0 };
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-120) || 'item';

async function collectArtifacts(ctx: Context, platforms: string[], staging: string, out: CollectResult): Promise<void> {
  const byUrl = new Map<string, { src: Awaited<ReturnType<typeof artifactSources>>[number]; platforms: string[] }>();
  for (const p of platforms) {
    for (const src of await artifactSources(ctx, p)) {
      const hit = byUrl.get(src.url);
      if (hit) hit.platforms.push(p);
      else byUrl.set(src.url, { src, platforms: [p] });
    }
  }
  if (byUrl.size === 0) out.notes.push('artifacts: this checkout names no file make init downloads (no istio.deps SHA, no init_helm.sh, no Dockerfile.kubectl URL)');
  let i = 0;
  for (const { src, platforms: ps } of byUrl.values()) {
    const base = safeName(path.posix.basename(new URL(src.url).pathname));
    const dest = path.join(staging, `artifact-${i++}-${base}`);
    const got = await ctx.download({ url: src.url, dest, publishedChecksum: src.publishedChecksum, authHeaders: src.authHeaders, onProgress: progressLogger(ctx.log, src.label) });
    ctx.log(`${src.label}: ${got.fromCache ? 'from the download cache' : `downloaded from ${got.urlUsed}`} (sha256 ${got.verified})`);
    if (!got.fromCache) out.fetched.push(src.url);
    // A first-use sha256 is recorded only for an artifact that proved usable: a gzip stream must decompress whole.
    if (!/\.(tar\.gz|tgz)$/.test(base) || (await gunzipsWhole(dest))) await got.confirm();
    out.items.push({
      path: `artifacts/${got.sha256.slice(0, 12)}-${base}`,
      kind: 'artifact',
      ref: src.url,
      platform: ps.join(','),
      sha256: got.sha256,
      size: got.bytes,
      source: src.source,
      verified: got.verified,
      file: dest,
    });
  }
}

async function collectGoToolchain(ctx: Context, platforms: string[], staging: string, out: CollectResult): Promise<void> {
  const req = goRequirement(ctx);
  if (!req) {
    out.notes.push('go-toolchain: the checkout states no Go version (go.mod, GO_VERSION_REQUIRED) and go.version is unset');
    return;
  }
  const indexUrl = `${downloadBase(ctx)}?mode=json&include=all`;
  const { releases, url } = await fetchGoIndex(ctx);
  ctx.log(`Go download index read from ${url} (read on every run: it decides the newest patch)`);
  const exact = /^\d+\.\d+\.\d+$/.test(ctx.config.go.version ?? '');
  const reduced = new Map<string, GoRelease>();
  for (const p of platforms) {
    const [os, arch] = p.split('/');
    const pick = pickRelease(releases, req.version, os, arch, { exact });
    if (!pick) throw new DevenvError(`the Go download index (${url}) has no ${os}-${arch} archive for go ${req.version} (${req.source})`);
    const fileUrl = downloadBase(ctx) + pick.file.filename;
    const dest = path.join(staging, `go-${safeName(pick.file.filename)}`);
    const got = await ctx.download({ url: fileUrl, dest, sha256: pick.file.sha256, onProgress: progressLogger(ctx.log, pick.release.version) });
    ctx.log(`${pick.release.version} ${p}: ${got.fromCache ? 'from the download cache' : `downloaded from ${got.urlUsed}`}, sha256 verified against the index`);
    if (!got.fromCache) out.fetched.push(fileUrl);
    out.items.push({ path: `go/${safeName(pick.file.filename)}`, kind: 'go-toolchain', ref: fileUrl, platform: p, sha256: got.sha256, size: got.bytes, source: req.source, verified: 'expected', file: dest });
    const r = reduced.get(pick.release.version) ?? { ...pick.release, files: [] };
    r.files.push(pick.file);
    reduced.set(pick.release.version, r);
  }
  // The index, cut down to what is bundled: offline, devenv fix go-version chooses from it.
  const indexFile = path.join(staging, 'go-index.json');
  const text = JSON.stringify([...reduced.values()], null, 1) + '\n';
  await fs.writeFile(indexFile, text);
  out.items.push({
    path: 'go/index.json',
    kind: 'go-index',
    ref: indexUrl,
    platform: platforms.join(','),
    sha256: createHash('sha256').update(text).digest('hex'),
    size: Buffer.byteLength(text),
    source: req.source,
    verified: 'first-use',
    file: indexFile,
  });
}

/** Walks GOMODCACHE/cache/download: the GOPROXY layout, minus go's lock and temp files. */
async function goproxyFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && !/\.(lock|partial)$|\.tmp/.test(e.name)) out.push(path.relative(dir, p).split(path.sep).join('/'));
    }
  }
  await walk(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  return out.sort();
}

function moduleRef(rel: string): string {
  const at = rel.indexOf('/@v/');
  if (at < 0) return rel;
  const mod = rel.slice(0, at);
  const fileName = rel.slice(at + 4);
  if (fileName === 'list') return `${mod} (version list)`;
  const version = fileName.replace(/\.(info|mod|zip|ziphash)$/, '');
  return `${mod}@${version} (${fileName.slice(version.length + 1)})`;
}

async function collectGoModules(ctx: Context, out: CollectResult): Promise<void> {
  if (!ctx.project?.goMod.module) {
    out.notes.push('go-modules: the checkout has no go.mod');
    return;
  }
  const req = goRequirement(ctx);
  const go = await resolveGo(ctx, req?.version);
  if (!go) throw new DevenvError('go-modules: go not found', { suggestions: ['devenv fix go-version', 'or leave the modules out: --include artifacts,go-toolchain,images'] });
  // A devenv-owned module cache per checkout: a re-run finds every module already downloaded.
  const id = createHash('sha1').update(ctx.root!).digest('hex').slice(0, 12);
  const modcache = path.join(ctx.paths.cache, 'bundle-gomodcache', id);
  const env = {
    ...ctx.env,
    GOMODCACHE: modcache,
    GOFLAGS: '-mod=mod',
    GO111MODULE: 'on',
    GOTOOLCHAIN: 'local',
    ...(ctx.config.go.proxy ? { GOPROXY: ctx.config.go.proxy } : {}),
  };
  const downloadDir = path.join(modcache, 'cache', 'download');
  const before = new Set(await goproxyFiles(downloadDir));
  ctx.log(`go mod download (GOMODCACHE=${modcache}${ctx.config.go.proxy ? `, GOPROXY=${ctx.config.go.proxy}` : ''})`);
  const r = await ctx.exec(go, ['mod', 'download'], { cwd: ctx.root!, env, timeoutMs: 60 * 60_000 });
  if (!r.ok) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new DevenvError(`go mod download failed in ${ctx.root}: ${tail}`, { suggestions: ['Check go.proxy (GOPROXY) in the devenv config.'] });
  }
  const files = await goproxyFiles(downloadDir);
  for (const rel of files) {
    const file = path.join(downloadDir, rel);
    const st = await fs.stat(file);
    out.items.push({ path: `gomod/${rel}`, kind: 'go-module', ref: moduleRef(rel), platform: 'any', sha256: await sha256File(file), size: st.size, source: 'go.mod', file });
    if (!before.has(rel)) out.fetched.push(`gomod/${rel}`);
  }
  ctx.log(`go modules: ${files.length} files (${files.length - before.size > 0 ? `${files.length - before.size} new` : 'all already downloaded'})`);
}

async function collectImages(ctx: Context, platforms: string[], staging: string, out: CollectResult): Promise<void> {
  const sources = await imageSources(ctx);
  if (sources.length === 0) return;
  const daemon = await probeDaemon(ctx);
  if (daemon.state !== 'ok') {
    throw new DevenvError(`images: Docker is not usable (${daemon.state}${'message' in daemon ? `: ${daemon.message}` : ''})`, {
      suggestions: ['devenv fix docker-daemon', 'or leave the images out: --include artifacts,go-toolchain,go-modules'],
    });
  }
  let i = 0;
  for (const src of sources) {
    if (src.skip) {
      out.notes.push(`image ${src.ref} (${src.source}) not bundled: ${src.skip}`);
      ctx.log(`image ${src.ref}: not bundled (${src.skip})`);
      continue;
    }
    const mirror = mirrorImage(src.ref, ctx.config);
    let local = (await inspectImage(ctx, src.ref)) ?? (mirror ? await inspectImage(ctx, mirror) : undefined);
    if (!local) {
      const order = mirror ? (ctx.config.prefer === 'mirror' ? [mirror, src.ref] : [src.ref, mirror]) : [src.ref];
      const errors: string[] = [];
      for (const ref of order) {
        try {
          await pull(ctx, ref, ref === src.ref && mirror ? ctx.config.images.upstreamTimeoutMs : undefined);
          local = await inspectImage(ctx, ref);
          if (local) {
            out.fetched.push(`image ${ref}`);
            break;
          }
        } catch (err) {
          errors.push(errorMessage(err));
        }
      }
      if (!local) throw new DevenvError(`image ${src.ref} (${src.source}): could not pull it: ${errors.join('; ')}`, { suggestions: ['Add a mirror under mirrors.images, or leave the images out: --include artifacts,go-toolchain,go-modules'] });
    } else ctx.log(`image ${src.ref}: already in the local engine (${local.id.slice(7, 19)})`);
    const plat = await ctx.exec('docker', ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', local.id]);
    const archive = path.join(staging, `image-${i++}.tar`);
    // Saved by ID: the archive carries no tags, so loading it never moves a tag; load tags it itself.
    const r = await ctx.exec('docker', ['save', '-o', archive, local.id], { timeoutMs: 60 * 60_000 });
    if (!r.ok) throw new DevenvError(`docker save ${local.id} (${src.ref}) failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    const st = await fs.stat(archive);
    ctx.log(`image ${src.ref}: saved (${humanBytes(st.size)})`);
    const imgPlatform = plat.ok ? plat.stdout.trim() : 'unknown';
    const others = platforms.filter((p) => p !== imgPlatform);
    if (others.length > 0) out.notes.push(`image ${src.ref}: saved for ${imgPlatform} only (what the local engine holds), not for ${others.join(', ')}`);
    out.items.push({
      path: `images/${safeName(src.ref)}.tar`,
      kind: 'image',
      ref: src.ref,
      platform: imgPlatform,
      sha256: await sha256File(archive),
      size: st.size,
      source: src.source,
      image: { id: local.id, tags: [src.ref] },
      file: archive,
    });
  }
}

/** Everything the bundle will hold, fetched and staged under `staging`. */
export async function collectItems(ctx: Context, opts: Pick<CreateOptions, 'platforms' | 'include'>, staging: string): Promise<CollectResult> {
  const out: CollectResult = { items: [], notes: [], fetched: [] };
  if (opts.include.includes('artifacts')) await collectArtifacts(ctx, opts.platforms, staging, out);
  if (opts.include.includes('go-toolchain')) await collectGoToolchain(ctx, opts.platforms, staging, out);
  if (opts.include.includes('go-modules')) await collectGoModules(ctx, out);
  if (opts.include.includes('images')) await collectImages(ctx, opts.platforms, staging, out);
  return out;
}

function defaultOut(ctx: Context, checkout: BundleCheckout, gzip: boolean): string {
  const name = ['devenv-bundle', checkout.version ?? 'istio', checkout.commit?.slice(0, 12)].filter(Boolean).join('-');
  return path.join(ctx.cwd, `${safeName(name)}.tar${gzip ? '.gz' : ''}`);
}

/** Streams the manifest and the items into `file` (via a temp file and a rename). */
async function writeBundle(ctx: Context, file: string, manifest: BundleManifest, items: StagedItem[], gzip: boolean): Promise<number> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  const sink = createWriteStream(tmp, { mode: 0o644 });
  let head: Writable = sink;
  let done: Promise<void>;
  if (gzip) {
    const gz = createGzip({ level: 6 });
    head = gz;
    done = pipeline(gz, sink);
  } else {
    done = new Promise<void>((resolve, reject) => {
      sink.on('finish', () => resolve());
      sink.on('error', reject);
    });
  }
  done.catch(() => {});
  const total = items.reduce((n, i) => n + i.size, 0);
  let written = 0;
  const progress = progressLogger(ctx.log, `writing ${path.basename(file)}`);
  const started = Date.now();
  try {
    const w = new TarWriter(head);
    await w.addBuffer(MANIFEST_NAME, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    for (const item of items) {
      await w.addFile(item.path, item.file, item.size, (n) => {
        written += n;
        const secs = (Date.now() - started) / 1000;
        const rate = secs > 0 ? written / secs : undefined;
        progress({ url: file, bytes: written, total, rate, etaSeconds: rate ? (total - written) / rate : undefined });
      });
    }
    await w.finish();
    head.end();
    await done;
    await fs.rename(tmp, file);
    return (await fs.stat(file)).size;
  } catch (err) {
    head.destroy();
    sink.destroy();
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export async function createBundle(ctx: Context, opts: CreateOptions): Promise<CreateResult> {
  if (!ctx.root || !ctx.project) {
    throw new UsageError(`not in an Istio checkout (${ctx.cwd}): a bundle is made for one checkout`, ['Run it inside the checkout, or pass --dir PATH.']);
  }
  const checkout = await readCheckout(ctx);
  const gzip = opts.gzip ?? Boolean(opts.out && /\.(tgz|gz)$/.test(opts.out));
  const file = path.resolve(ctx.cwd, opts.out ?? defaultOut(ctx, checkout, gzip));
  await fs.mkdir(path.dirname(file), { recursive: true });
  const staging = await fs.mkdtemp(path.join(path.dirname(file), '.devenv-bundle-'));
  try {
    const collected = await collectItems(ctx, opts, staging);
    const manifest: BundleManifest = {
      schema: BUNDLE_SCHEMA,
      createdBy: `devenv ${opts.devenvVersion}`,
      createdAt: new Date().toISOString(),
      checkout,
      platforms: opts.platforms,
      include: opts.include,
      items: collected.items.map(({ file: _f, ...item }) => item),
      notes: collected.notes,
    };
    const bytes = await writeBundle(ctx, file, manifest, collected.items, gzip);
    return { file, manifest, bytes, fetched: collected.fetched };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** True when `file` decompresses as gzip to its end (CRC checked); false when it is not gzip or is corrupt. */
async function gunzipsWhole(file: string): Promise<boolean> {
  try {
    await pipeline(createReadStream(file), createGunzip(), new Writable({ write: (_c, _e, cb) => cb() }));
    return true;
  } catch {
    return false;
  }
}
