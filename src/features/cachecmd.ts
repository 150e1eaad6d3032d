/** `devenv cache verify|clear`: the shared download cache, without the network. */
import { createCache } from '../platform/cache.js';
import { resolvePaths } from '../platform/paths.js';
import { redactUrl } from '../platform/redact.js';

export function openCache(env: Record<string, string | undefined>, log?: (l: string) => void) {
  const dir = resolvePaths(env).cache;
  return { dir, cache: createCache(dir, log) };
}

export async function verifyCache(env: Record<string, string | undefined>): Promise<{ lines: string[]; exitCode: number }> {
  const lines: string[] = [];
  const { dir, cache } = openCache(env, (l) => lines.push(redactUrl(l)));
  const r = await cache.verify();
  lines.push(`download cache ${dir}: ${r.ok} artifact${r.ok === 1 ? '' : 's'} verified (sha256 of every blob recomputed)`);
  for (const p of r.repaired) lines.push(`repaired: ${redactUrl(p)}`);
  for (const p of r.problems) lines.push(`problem: ${redactUrl(p)}`);
  return { lines, exitCode: r.problems.length > 0 ? 1 : 0 };
}

/** What clearing the whole cache would remove: its directory, how many artifacts and how many bytes (blobs counted once). */
export async function cacheSummary(env: Record<string, string | undefined>): Promise<{ dir: string | undefined; artifacts: number; bytes: number }> {
  const { dir, cache } = openCache(env);
  const { records } = await cache.list();
  const sizes = new Map(records.map((r) => [r.sha256, r.bytes]));
  return { dir, artifacts: records.length, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
}

export async function clearCache(env: Record<string, string | undefined>, urls: string[]): Promise<{ lines: string[]; exitCode: number }> {
  const lines: string[] = [];
  const { dir, cache } = openCache(env, (l) => lines.push(redactUrl(l)));
  const r = await cache.clear(urls);
  if (urls.length === 0) lines.push(`cleared the download cache ${dir} (${r.removed.length} record${r.removed.length === 1 ? '' : 's'})`);
  for (const u of urls.length ? r.removed : []) lines.push(`forgot ${redactUrl(u)} (its sha256 record and, when no other URL uses it, its blob)`);
  for (const u of r.unknown) lines.push(`not in the cache: ${redactUrl(u)}`);
  return { lines, exitCode: r.unknown.length > 0 ? 1 : 0 };
}
