/**
 * `devenv bundle load`: verifies the whole bundle first (every member against
 * the manifest, staged under the devenv data dir); only then seeds the
 * download cache, installs the Go module tree as a GOPROXY directory, loads
 * and tags the images (never moving a tag that names a different image
 * without asking), and sets go.proxy in the user config. Installs nothing else.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IstioContext as Context } from '../../istio/project.js';
import { loadConfigFile } from '../../platform/config.js';
import { seedCache, type Verification } from '../../platform/download.js';
import { DevenvError } from '../../platform/errors.js';
import { formatCommand } from '../../platform/exec.js';
import { copyAtomic } from '../../platform/files.js';
import { probeDaemon } from '../docker.js';
import { dockerError, inspectImage, tag } from '../images.js';
import { humanBytes, type BundleCheckout, type BundleManifest, type ManifestItem } from './manifest.js';
import { readCheckout } from './create.js';
import { assertBundleFile, verifyBundle } from './verify.js';
import { setUserGoProxy, type ConfigWrite } from './userconfig.js';

export interface LoadOptions {
  file: string;
  /** Load a bundle made for another commit or line. */
  force?: boolean;
  /** Asked before a tag that names a different image is moved; absent (no terminal) = keep the user's tag. */
  confirmRetag?: (message: string) => Promise<boolean>;
}

export interface ImageOutcome {
  ref: string;
  id: string;
  action: 'tagged' | 'already-tagged' | 'kept-yours' | 'retagged';
  /** the ID the tag named before, when it named another image */
  previous?: string;
}

export interface LoadResult {
  manifest: BundleManifest;
  /** URLs now served by the download cache */
  seeded: string[];
  goproxy?: { dir: string; url: string; files: number; config: ConfigWrite; shadowedBy?: string };
  images: ImageOutcome[];
  /** what differs from the checkout (loaded anyway with --force) */
  differences: string[];
  /** what devenv could not do and you must decide */
  problems: string[];
}

/** What differs between the bundle's checkout and this one; empty when they agree (or one side does not know). */
export function compareCheckouts(bundle: BundleCheckout, here: BundleCheckout | null): string[] {
  if (!here) return [];
  const out: string[] = [];
  if (bundle.line && here.line && bundle.line !== here.line) out.push(`release line: bundle ${bundle.line}, checkout ${here.line}`);
  if (bundle.commit && here.commit && bundle.commit !== here.commit) out.push(`commit: bundle ${bundle.commit.slice(0, 12)}, checkout ${here.commit.slice(0, 12)}`);
  return out;
}

export function goproxyDir(ctx: Context): string {
  return path.join(ctx.paths.data, 'goproxy');
}

const SEEDED: ManifestItem['kind'][] = ['artifact', 'go-toolchain', 'go-index'];
const VERIFICATIONS = ['expected', 'pinned', 'published', 'recorded', 'first-use'] as const satisfies readonly Verification[];

async function installModuleFile(root: string, item: ManifestItem, staged: string): Promise<void> {
  const rel = item.path.slice('gomod/'.length);
  const dest = path.join(root, ...rel.split('/'));
  if (!dest.startsWith(root + path.sep)) throw new DevenvError(`${item.path}: outside the module tree`);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const current = await fs.readFile(dest).catch(() => undefined);
  if (path.basename(dest) === 'list' && current) {
    // Two bundles may know different versions of a module: the list is their union.
    const lines = new Set([...current.toString('utf8').split('\n'), ...(await fs.readFile(staged, 'utf8')).split('\n')].filter(Boolean));
    const tmp = `${staged}.list`;
    await fs.writeFile(tmp, [...lines].join('\n') + '\n');
    await copyAtomic(tmp, dest, 0o644);
    return;
  }
  await copyAtomic(staged, dest, 0o644);
}

export async function loadBundle(ctx: Context, opts: LoadOptions): Promise<LoadResult> {
  await assertBundleFile(opts.file);
  const here = ctx.root ? await readCheckout(ctx) : null;
  let differences: string[] = [];
  await fs.mkdir(ctx.paths.data, { recursive: true });
  const staging = await fs.mkdtemp(path.join(ctx.paths.data, '.bundle-staging-'));
  try {
    const started = Date.now();
    let read = 0;
    let last = 0;
    const verified = await verifyBundle(opts.file, {
      stageDir: staging,
      onManifest: (m) => {
        differences = compareCheckouts(m.checkout, here);
        if (differences.length > 0 && !opts.force) {
          throw new DevenvError(`this bundle was made for another checkout (${differences.join('; ')})`, {
            suggestions: [
              `Check out ${m.checkout.commit ?? m.checkout.version ?? 'the commit it was made for'} and load it again`,
              'or load it anyway: devenv bundle load --force (artifacts and modules of another commit may not be what this checkout needs)',
            ],
          });
        }
        const total = m.items.reduce((n, i) => n + i.size, 0);
        ctx.log(`verifying ${m.items.length} items (${humanBytes(total)}) made by ${m.createdBy} for ${m.checkout.version ?? 'an unknown version'}${m.checkout.commit ? ` at ${m.checkout.commit.slice(0, 12)}` : ''}`);
      },
      onBytes: (n) => {
        read += n;
        if (Date.now() - last > 2000) {
          last = Date.now();
          ctx.log(`verified ${humanBytes(read)} (${Math.round(read / Math.max(1, (Date.now() - started) / 1000) / (1 << 20))} MiB/s)`);
        }
      },
    });
    const { manifest, staged } = verified;
    ctx.log(`all ${manifest.items.length} items verified against the manifest`);
    if (!here) ctx.log('no Istio checkout here to compare the bundle with (pass --dir CHECKOUT)');

    const images = manifest.items.filter((i) => i.kind === 'image');
    if (images.length > 0) {
      const d = await probeDaemon(ctx);
      if (d.state !== 'ok') {
        throw new DevenvError(`the bundle has ${images.length} image(s) and Docker is not usable (${d.state}${'message' in d ? `: ${d.message}` : ''}); nothing was loaded`, {
          suggestions: ['Start Docker (devenv fix docker-daemon), then load the bundle again.'],
        });
      }
    }

    const result: LoadResult = { manifest, seeded: [], images: [], differences, problems: [] };
    // 1. The download cache: devenv fix finds every artifact and Go archive with no network.
    for (const item of manifest.items.filter((i) => SEEDED.includes(i.kind))) {
      // How create verified it upstream; anything else counts as a first-use record (the checks then say "unverified upstream").
      const how = (VERIFICATIONS as readonly string[]).includes(item.verified ?? '') ? (item.verified as Verification) : 'first-use';
      await seedCache(ctx.paths.cache, item.ref, staged.get(item.path)!, item.sha256, how);
      result.seeded.push(item.ref);
    }
    if (result.seeded.length) ctx.log(`download cache: ${result.seeded.length} files seeded (${ctx.paths.cache})`);

    // 2. The Go module tree, a GOPROXY directory at a stable place, and go.proxy pointing at it.
    const modules = manifest.items.filter((i) => i.kind === 'go-module');
    if (modules.length > 0) {
      const dir = goproxyDir(ctx);
      for (const item of modules) await installModuleFile(dir, item, staged.get(item.path)!);
      const url = `file://${dir}`;
      const config = await setUserGoProxy(ctx.paths.config, url);
      result.goproxy = { dir, url, files: modules.length, config };
      // A checkout's .devenvrc or --config with its own go.proxy overrides the user config.
      for (const f of ctx.config.files.filter((x) => !x.startsWith(ctx.paths.config + path.sep))) {
        const layer = await loadConfigFile(f).catch(() => undefined);
        if (layer?.go?.proxy && layer.go.proxy !== url) result.goproxy.shadowedBy = f;
      }
      if (result.goproxy.shadowedBy) result.problems.push(`${result.goproxy.shadowedBy} sets its own go.proxy, which overrides ${url}: remove it there to use the bundle's modules`);
      ctx.log(`Go modules: ${modules.length} files in ${dir}; go.proxy = ${url} in ${config.file}${config.backup ? ` (previous file kept as ${config.backup})` : ''}`);
    }

    // 3. Images: loaded by ID (the archives carry no tags), then tagged only where that moves nobody's tag.
    for (const item of images) {
      const id = item.image!.id;
      const r = await ctx.exec('docker', ['load', '-i', staged.get(item.path)!], { timeoutMs: 60 * 60_000 });
      if (!r.ok) throw dockerError(`docker load (${item.ref})`, r.stderr || r.stdout);
      const loaded = await inspectImage(ctx, id);
      if (!loaded) throw new DevenvError(`docker load of ${item.path} did not produce image ${id}`);
      for (const t of item.image!.tags) {
        const cur = await inspectImage(ctx, t);
        if (cur?.id === id) {
          result.images.push({ ref: t, id, action: 'already-tagged' });
          continue;
        }
        if (cur) {
          const ok = opts.confirmRetag ? await opts.confirmRetag(`${t} names another image (${cur.id.slice(7, 19)}); point it at the bundle's ${id.slice(7, 19)}? Your image stays, under its ID and any other tags.`) : false;
          if (!ok) {
            result.images.push({ ref: t, id, action: 'kept-yours', previous: cur.id });
            result.problems.push(`${t} still names your image ${cur.id.slice(7, 19)}; the bundle's image is loaded as ${id.slice(7, 19)}: ${formatCommand('docker', ['tag', id, t])} to use it`);
            continue;
          }
          await tag(ctx, id, t);
          result.images.push({ ref: t, id, action: 'retagged', previous: cur.id });
          continue;
        }
        await tag(ctx, id, t);
        result.images.push({ ref: t, id, action: 'tagged' });
      }
      ctx.log(`image ${item.ref}: loaded (${id.slice(7, 19)})`);
    }
    return result;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
