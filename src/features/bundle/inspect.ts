/** `devenv bundle inspect`: what a bundle holds and whether every item verifies. */
import fs from 'node:fs/promises';
import { DevenvError, errorMessage } from '../../platform/errors.js';
import { humanBytes, type BundleManifest, type ItemKind } from './manifest.js';
import { assertBundleFile, verifyBundle } from './verify.js';

export interface InspectResult {
  file: string;
  bytes: number;
  gzip: boolean;
  manifest: BundleManifest;
  verified: boolean;
  /** why it does not verify */
  error: string | null;
}

/** An inspection loads nothing: the verifier's "; nothing was loaded" is not said. */
const notLoading = (message: string) => message.replace(/; nothing was loaded$/, '');

export async function inspectBundle(file: string): Promise<InspectResult> {
  const bytes = await assertBundleFile(file);
  let manifest: BundleManifest | undefined;
  try {
    const v = await verifyBundle(file, { onManifest: (m) => void (manifest = m) });
    return { file, bytes, gzip: v.gzip, manifest: v.manifest, verified: true, error: null };
  } catch (err) {
    if (!manifest) throw err instanceof DevenvError ? new DevenvError(notLoading(err.message), { suggestions: err.suggestions, exitCode: err.exitCode }) : err;
    const fh = await fs.open(file, 'r');
    const magic = Buffer.alloc(2);
    await fh.read(magic, 0, 2, 0).finally(() => fh.close());
    const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
    return { file, bytes, gzip, manifest, verified: false, error: notLoading(errorMessage(err)) };
  }
}

const ORDER: ItemKind[] = ['artifact', 'go-toolchain', 'go-index', 'go-module', 'image'];

export function renderInspect(r: InspectResult): string {
  const m = r.manifest;
  const lines = [
    `${r.file} (${humanBytes(r.bytes)}${r.gzip ? ', gzip' : ''})`,
    `  made by ${m.createdBy} at ${m.createdAt}, manifest schema ${m.schema}`,
    `  checkout: ${m.checkout.version ?? 'unknown version'} (line ${m.checkout.line ?? '?'}), commit ${m.checkout.commit ?? 'unknown'}${m.checkout.dirty ? ' (dirty)' : ''}`,
    `  platforms: ${m.platforms.join(', ') || '?'}; parts: ${m.include.join(', ') || '?'}`,
    '',
  ];
  for (const kind of ORDER) {
    const items = m.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    const size = items.reduce((n, i) => n + i.size, 0);
    lines.push(`${kind} (${items.length}, ${humanBytes(size)})`);
    // Module files are many: show the modules, not every .info/.mod/.zip.
    if (kind === 'go-module') {
      const mods = [...new Set(items.map((i) => i.ref.replace(/ \(.*\)$/, '')).filter((x) => x.includes('@')))];
      for (const mod of mods.slice(0, 20)) lines.push(`  ${mod}`);
      if (mods.length > 20) lines.push(`  … and ${mods.length - 20} more modules`);
      continue;
    }
    for (const i of items) lines.push(`  ${i.ref}  [${i.platform}] ${humanBytes(i.size)} sha256:${i.sha256.slice(0, 12)}${i.source ? `  (${i.source})` : ''}`);
  }
  if (m.notes.length) lines.push('', 'not bundled:', ...m.notes.map((n) => `  ${n}`));
  lines.push('', r.verified ? `✓ verifies: all ${m.items.length} items match the manifest's sha256 and size` : `✗ does NOT verify: ${r.error}`);
  return lines.join('\n') + '\n';
}
