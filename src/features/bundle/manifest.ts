/**
 * The bundle manifest: the first member of every bundle (`manifest.json`).
 * It names the checkout the bundle was made for and every item with its
 * upstream reference, kind, platform, sha256 and size. A reader refuses a
 * schema it does not know and any path that could land outside its target.
 */
import { DevenvError } from '../../platform/errors.js';

export const MANIFEST_NAME = 'manifest.json';
export const BUNDLE_SCHEMA = 1;
/** A manifest larger than this is not one devenv wrote. */
export const MAX_MANIFEST_BYTES = 64 << 20;

export const INCLUDES = ['artifacts', 'go-toolchain', 'go-modules', 'images'] as const;
export type Include = (typeof INCLUDES)[number];

export type ItemKind =
  /** a file make init downloads (Envoy, helm, kubectl…): seeded into the download cache under `ref` (its URL) */
  | 'artifact'
  /** a Go release archive from the Go download index: seeded into the download cache */
  | 'go-toolchain'
  /** the Go download index, reduced to the releases bundled: seeded so `devenv fix go-version` can choose offline */
  | 'go-index'
  /** one file of the checkout's Go module downloads, in GOPROXY layout (`gomod/<module>/@v/<version>.zip`) */
  | 'go-module'
  /** a `docker save` archive of one image (saved by ID, so loading it moves no tag) */
  | 'image';

export const ITEM_KINDS: readonly ItemKind[] = ['artifact', 'go-toolchain', 'go-index', 'go-module', 'image'];

export interface ManifestItem {
  /** the member's path inside the bundle */
  path: string;
  kind: ItemKind;
  /** upstream reference: a URL, `module@version`, or an image reference */
  ref: string;
  /** `linux/amd64`, several joined by `,`, or `any` */
  platform: string;
  sha256: string;
  size: number;
  /** where the requirement was read (`bin/init.sh:12`, `go.mod:3`, `pilot/docker/Dockerfile.pilot:1`) */
  source?: string;
  /** artifacts and toolchains: how create verified the download (the download cache's verification) */
  verified?: string;
  /** images: the image ID the archive holds and the tags load gives it */
  image?: { id: string; tags: string[] };
}

export interface BundleCheckout {
  /** release line, e.g. `1.4` */
  line: string | null;
  /** the checkout's version (tag, VERSION file or the Makefiles' VERSION) */
  version: string | null;
  commit: string | null;
  dirty: boolean | null;
}

export interface BundleManifest {
  schema: number;
  createdBy: string;
  createdAt: string;
  checkout: BundleCheckout;
  platforms: string[];
  include: Include[];
  items: ManifestItem[];
  /** what create left out, and why (e.g. an image pinned by digest) */
  notes: string[];
}

/** A relative, normalized member path: no `..`, not absolute, no empty or `.` segments, no backslashes or NULs. */
export function unsafePathReason(p: string): string | undefined {
  if (p === '') return 'an empty path';
  if (p.startsWith('/')) return `an absolute path (${p})`;
  if (/^[A-Za-z]:/.test(p)) return `an absolute path (${p})`;
  if (p.includes('\\') || p.includes('\0')) return `a path with a backslash or NUL (${JSON.stringify(p)})`;
  const segs = p.split('/');
  if (segs.includes('..')) return `a path with .. (${p})`;
  if (segs.some((s) => s === '' || s === '.')) return `a path that is not normalized (${p})`;
  return undefined;
}

function fail(message: string): never {
  throw new DevenvError(`the bundle's manifest is invalid: ${message}; nothing was loaded`, {
    suggestions: ['Create the bundle again with devenv bundle create, and copy it whole.'],
  });
}

/** Parses and validates a manifest; every problem names the item. */
export function parseManifest(text: string): BundleManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (err) {
    fail(`not JSON (${(err as Error).message})`);
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) fail('not an object');
  const o = m as Record<string, unknown>;
  if (o.schema !== BUNDLE_SCHEMA) {
    throw new DevenvError(
      `the bundle's manifest has schema version ${JSON.stringify(o.schema)}, which this devenv does not know (it reads version ${BUNDLE_SCHEMA}); nothing was loaded`,
      { suggestions: ['Use the devenv version that created the bundle, or create it again with this one.'] },
    );
  }
  if (!Array.isArray(o.items)) fail('"items" is not a list');
  const c = (o.checkout ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const seen = new Set<string>();
  const items = (o.items as unknown[]).map((raw, i): ManifestItem => {
    if (!raw || typeof raw !== 'object') fail(`items[${i}] is not an object`);
    const it = raw as Record<string, unknown>;
    const where = `items[${i}]${typeof it.path === 'string' ? ` (${it.path})` : ''}`;
    if (typeof it.path !== 'string') fail(`${where}: no path`);
    const bad = unsafePathReason(it.path);
    if (bad) fail(`${where}: ${bad}`);
    if (it.path === MANIFEST_NAME) fail(`${where}: the path of the manifest itself`);
    if (seen.has(it.path)) fail(`${where}: listed twice`);
    seen.add(it.path);
    if (!ITEM_KINDS.includes(it.kind as ItemKind)) fail(`${where}: unknown kind ${JSON.stringify(it.kind)}`);
    if (typeof it.ref !== 'string' || !it.ref) fail(`${where}: no ref`);
    if (typeof it.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(it.sha256)) fail(`${where}: sha256 is not 64 hex characters`);
    if (typeof it.size !== 'number' || !Number.isSafeInteger(it.size) || it.size < 0) fail(`${where}: size is not a byte count`);
    const item: ManifestItem = {
      path: it.path,
      kind: it.kind as ItemKind,
      ref: it.ref,
      platform: typeof it.platform === 'string' ? it.platform : 'any',
      sha256: it.sha256,
      size: it.size,
    };
    if (typeof it.source === 'string') item.source = it.source;
    if (typeof it.verified === 'string') item.verified = it.verified;
    if (item.kind === 'image') {
      const img = it.image as { id?: unknown; tags?: unknown } | undefined;
      if (!img || typeof img.id !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(img.id)) fail(`${where}: an image without its image ID`);
      const tags = Array.isArray(img.tags) ? img.tags.filter((t): t is string => typeof t === 'string') : [];
      item.image = { id: img.id, tags };
    }
    if (item.kind === 'go-module' && !item.path.startsWith('gomod/')) fail(`${where}: a go-module item outside gomod/`);
    return item;
  });
  return {
    schema: BUNDLE_SCHEMA,
    createdBy: str(o.createdBy) ?? 'unknown',
    createdAt: str(o.createdAt) ?? 'unknown',
    checkout: { line: str(c.line), version: str(c.version), commit: str(c.commit), dirty: typeof c.dirty === 'boolean' ? c.dirty : null },
    platforms: Array.isArray(o.platforms) ? o.platforms.filter((p): p is string => typeof p === 'string') : [],
    include: Array.isArray(o.include) ? o.include.filter((p): p is Include => INCLUDES.includes(p as Include)) : [],
    items,
    notes: Array.isArray(o.notes) ? o.notes.filter((p): p is string => typeof p === 'string') : [],
  };
}

/** `1.4.2` → `1.4`, `1.24-dev` → `1.24`; null when the version names no line. */
export function lineOf(version: string | null | undefined): string | null {
  const m = version ? /^v?(\d+\.\d+)/.exec(version) : null;
  return m ? m[1] : null;
}

export function humanBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
