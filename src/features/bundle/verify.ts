/**
 * Reading a bundle: the manifest first, then every member checked against it
 * (safe path, regular file, listed, size and sha256) while streaming. Used by
 * `load` (which stages each verified member) and `inspect` (which discards
 * them). Nothing is used until the whole bundle has verified.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DevenvError, UsageError } from '../../platform/errors.js';
import { MANIFEST_NAME, MAX_MANIFEST_BYTES, parseManifest, unsafePathReason, type BundleManifest, type ManifestItem } from './manifest.js';
import { openBundleStream, readTar, type EntrySink } from './tar.js';

export interface VerifyOptions {
  /** Write each verified member here (as `<index>`); omitted = discard after hashing. */
  stageDir?: string;
  /** Called once the manifest is read, before any item: may throw to refuse the bundle (e.g. another commit). */
  onManifest?: (m: BundleManifest) => void | Promise<void>;
  /** Bytes read so far, for progress lines. */
  onBytes?: (n: number) => void;
}

export interface VerifiedBundle {
  manifest: BundleManifest;
  gzip: boolean;
  /** item path → staged file (only with stageDir) */
  staged: Map<string, string>;
}

function bad(file: string, what: string): DevenvError {
  return new DevenvError(`${file}: ${what}; nothing was loaded`, {
    suggestions: ['The bundle is damaged or was altered: create it again with devenv bundle create and copy it whole (compare sizes or sha256sum on both machines).'],
  });
}

/** A link target that leaves the bundle: symlinks resolve from the link's directory, hard links from the archive's root. */
function escapes(name: string, target: string, hard: boolean): boolean {
  if (target.startsWith('/')) return true;
  const resolved = path.posix.normalize(hard ? target : path.posix.join(path.posix.dirname(name), target));
  return resolved === '..' || resolved.startsWith('../');
}

/** A usage error (exit 2) unless `file` is a regular file: what load and inspect check before reading it. */
export async function assertBundleFile(file: string): Promise<number> {
  const st = await fs.stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`${file}: ${st ? 'not a file' : 'no such file'}`, ['Name the bundle file that devenv bundle create wrote.']);
  return st.size;
}

export async function verifyBundle(file: string, opts: VerifyOptions = {}): Promise<VerifiedBundle> {
  const { stream, gzip } = await openBundleStream(file);
  let manifest: BundleManifest | undefined;
  let byPath = new Map<string, ManifestItem>();
  const seen = new Set<string>();
  const staged = new Map<string, string>();
  let index = 0;
  try {
    await readTar(stream, async (e): Promise<EntrySink | null> => {
      if (!manifest) {
        if (e.name !== MANIFEST_NAME || e.type !== 'file') {
          throw bad(file, `not a devenv bundle: its first member is ${JSON.stringify(e.name)}, not ${MANIFEST_NAME}`);
        }
        if (e.size > MAX_MANIFEST_BYTES) throw bad(file, `the manifest is ${e.size} bytes, more than any bundle devenv writes`);
        const chunks: Buffer[] = [];
        return {
          write: (b) => void chunks.push(Buffer.from(b)),
          end: async () => {
            manifest = parseManifest(Buffer.concat(chunks).toString('utf8'));
            byPath = new Map(manifest.items.map((i) => [i.path, i]));
            await opts.onManifest?.(manifest);
          },
        };
      }
      const unsafe = unsafePathReason(e.name.replace(/\/$/, ''));
      if (unsafe) throw bad(file, `it has a member with ${unsafe}`);
      if (e.type === 'symlink' || e.type === 'hardlink') {
        if (escapes(e.name, e.linkname, e.type === 'hardlink')) throw bad(file, `it has a link pointing outside the bundle: ${e.name} → ${e.linkname}`);
        throw bad(file, `it has a link (${e.name} → ${e.linkname}); bundles hold only regular files`);
      }
      if (e.type === 'directory') return null;
      if (e.type !== 'file') throw bad(file, `it has a member of an unsupported type (${e.name}, tar type ${JSON.stringify(e.typeflag)})`);
      const item = byPath.get(e.name);
      if (!item) throw bad(file, `it has a member the manifest does not list: ${e.name}`);
      if (seen.has(e.name)) throw bad(file, `it has ${e.name} twice`);
      seen.add(e.name);
      if (e.size !== item.size) throw bad(file, `${e.name} is ${e.size} bytes, but the manifest says ${item.size}`);
      const hash = createHash('sha256');
      const out = opts.stageDir ? createWriteStream(path.join(opts.stageDir, String(index++)), { mode: 0o600 }) : undefined;
      const failed = new Promise<never>((_, reject) => out?.on('error', reject));
      failed.catch(() => {});
      return {
        write: async (b) => {
          hash.update(b);
          opts.onBytes?.(b.length);
          if (out && !out.write(b)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
        },
        end: async () => {
          if (out) await Promise.race([new Promise<void>((r) => out.end(() => r())), failed]);
          const sum = hash.digest('hex');
          if (sum !== item.sha256) throw bad(file, `${e.name} does not match the manifest: sha256 ${sum}, expected ${item.sha256}`);
          if (out) staged.set(e.name, out.path as string);
        },
      };
    });
  } catch (err) {
    if (err instanceof DevenvError && !/nothing was loaded/.test(err.message)) {
      throw new DevenvError(`${file}: ${err.message}; nothing was loaded`, { suggestions: err.suggestions.length ? err.suggestions : ['Copy the bundle again: it is incomplete or damaged.'] });
    }
    throw err;
  }
  if (!manifest) throw bad(file, 'it is empty');
  const missing = manifest.items.filter((i) => !seen.has(i.path));
  if (missing.length > 0) {
    throw bad(file, `it is incomplete: ${missing.length} of ${manifest.items.length} items listed in the manifest are missing (first: ${missing[0].path})`);
  }
  return { manifest, gzip, staged };
}
