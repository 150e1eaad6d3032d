/**
 * The shared download cache under $XDG_CACHE_HOME/devenv:
 *
 *   blobs/sha256/<sha>                      the bytes, read-only, named by their sha256
 *   blobs/sha256/<sha>.refs/<key>.json      which upstream URL(s) the blob was recorded for
 *   index/<key>.json                        upstream URL → {sha256, verified, bytes}
 *
 * `<key>` is the sha256 of the upstream URL. Every record is its own file,
 * written to a temp file and renamed, so concurrent devenv runs never lose
 * each other's entries (no shared index to read-modify-write). The ref beside
 * each blob is a second copy of the record: a corrupt or missing index entry
 * is rebuilt from it. A `downloads.json` index from older versions is
 * migrated on first use (or, when corrupt, reported and rebuilt from the refs).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { partPath, sha256File, sweepLitter } from './files.js';

export type Verification = 'expected' | 'pinned' | 'published' | 'recorded' | 'first-use';

export interface CacheEntry {
  sha256: string;
  verified: Verification;
  bytes: number;
}

export interface CacheRecord extends CacheEntry {
  url: string;
  /** ISO time the record was written. */
  at?: string;
}

export const keyOf = (url: string) => createHash('sha256').update(url).digest('hex');


async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.part`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

function parseRecord(text: string): CacheRecord | undefined {
  try {
    const r = JSON.parse(text) as CacheRecord;
    if (typeof r.url === 'string' && typeof r.sha256 === 'string' && /^[a-f0-9]{64}$/.test(r.sha256) && typeof r.verified === 'string') return r;
  } catch {
    // fall through
  }
  return undefined;
}

export interface Cache {
  enabled: boolean;
  dir?: string;
  get(url: string): Promise<CacheEntry | undefined>;
  blobFor(sha: string): Promise<string | undefined>;
  /** Stores the bytes of `file` as a blob (no index entry). */
  storeBlob(file: string, sha: string): Promise<void>;
  /** A new temp file inside the cache for a download to write while it streams (swept when its process is gone). */
  incoming(): Promise<string>;
  /** Moves a verified `incoming()` file in as the blob of `sha` (or drops it when that blob exists); returns the blob's path. */
  adopt(file: string, sha: string): Promise<string>;
  /** Stores the blob and records url → sha (a checksum from upstream beats a first-use record). */
  put(url: string, file: string | undefined, entry: CacheEntry): Promise<void>;
  list(): Promise<{ records: CacheRecord[]; problems: string[] }>;
  /** Removes the records of these URLs (and blobs no other record uses); all of the cache when urls is empty. */
  clear(urls: string[]): Promise<{ removed: string[]; unknown: string[] }>;
  verify(): Promise<{ ok: number; problems: string[]; repaired: string[] }>;
}

export function createCache(dir: string | undefined, log: (line: string) => void = () => {}): Cache {
  const blobsDir = dir ? path.join(dir, 'blobs', 'sha256') : '';
  const indexDir = dir ? path.join(dir, 'index') : '';
  const blob = (sha: string) => path.join(blobsDir, sha);
  const refFile = (sha: string, url: string) => path.join(blobsDir, `${sha}.refs`, `${keyOf(url)}.json`);
  const entryFile = (url: string) => path.join(indexDir, `${keyOf(url)}.json`);
  let migrated: Promise<void> | undefined;

  /** Every ref beside a blob: the records an index can be rebuilt from. */
  async function refs(): Promise<CacheRecord[]> {
    const out: CacheRecord[] = [];
    const names = await fs.readdir(blobsDir).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.endsWith('.refs'))) {
      const d = path.join(blobsDir, n);
      for (const f of await fs.readdir(d).catch(() => [] as string[])) {
        const r = parseRecord(await fs.readFile(path.join(d, f), 'utf8').catch(() => ''));
        if (r) out.push(r);
      }
    }
    return out;
  }

  async function writeRecord(r: CacheRecord): Promise<void> {
    const text = JSON.stringify({ ...r, at: r.at ?? new Date().toISOString() }, null, 2) + '\n';
    await writeAtomic(refFile(r.sha256, r.url), text);
    await writeAtomic(entryFile(r.url), text);
  }

  /** Older versions kept one downloads.json: migrate it, or rebuild from refs when it is corrupt. */
  async function migrate(): Promise<void> {
    if (!dir) return;
    const legacy = path.join(dir, 'downloads.json');
    let text: string;
    try {
      text = await fs.readFile(legacy, 'utf8');
    } catch {
      return;
    }
    let data: Record<string, CacheEntry> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, CacheEntry>;
    } catch {
      data = undefined;
    }
    if (data) {
      for (const [url, e] of Object.entries(data)) {
        if (e && typeof e.sha256 === 'string' && !(await exists(entryFile(url)))) await writeRecord({ url, sha256: e.sha256, verified: e.verified, bytes: e.bytes });
      }
      await fs.rename(legacy, `${legacy}.migrated`).catch(() => {});
      return;
    }
    const aside = `${legacy}.corrupt-${Date.now()}`;
    await fs.rename(legacy, aside).catch(() => {});
    let rebuilt = 0;
    for (const r of await refs()) {
      if (!(await exists(entryFile(r.url)))) {
        await writeAtomic(entryFile(r.url), JSON.stringify(r, null, 2) + '\n');
        rebuilt++;
      }
    }
    log(`download cache: the index ${legacy} was corrupt (moved to ${aside}); rebuilt ${rebuilt} entr${rebuilt === 1 ? 'y' : 'ies'} from the cache's blobs`);
  }

  const ready = () => (migrated ??= migrate().catch(() => {}));

  async function get(url: string): Promise<CacheEntry | undefined> {
    if (!dir) return undefined;
    await ready();
    let text: string;
    try {
      text = await fs.readFile(entryFile(url), 'utf8');
    } catch {
      return undefined;
    }
    let r = parseRecord(text);
    if (!r || r.url !== url) {
      const fromRefs = (await refs()).find((x) => x.url === url);
      log(`download cache: the index entry ${entryFile(url)} is corrupt; ${fromRefs ? 'rebuilt it from the blob it names' : 'removed it (no blob records this URL)'}`);
      if (fromRefs) await writeAtomic(entryFile(url), JSON.stringify(fromRefs, null, 2) + '\n');
      else await fs.rm(entryFile(url), { force: true });
      r = fromRefs;
    }
    return r ? { sha256: r.sha256, verified: r.verified, bytes: r.bytes } : undefined;
  }

  async function storeBlob(file: string, sha: string): Promise<void> {
    if (!dir) return;
    const target = blob(sha);
    await fs.mkdir(blobsDir, { recursive: true });
    if (await exists(target)) return;
    const tmp = `${target}.${randomBytes(4).toString('hex')}.part`;
    await fs.copyFile(file, tmp);
    await fs.chmod(tmp, 0o444).catch(() => {});
    await fs.rename(tmp, target);
  }

  // An interrupted earlier run's incoming files are swept once per process, not on every download
  // (a readdir of every blob, four times over in a fix --all).
  let sweptIncoming = false;
  async function incoming(): Promise<string> {
    await fs.mkdir(blobsDir, { recursive: true });
    if (!sweptIncoming) {
      await sweepLitter(blobsDir, { base: 'incoming' });
      sweptIncoming = true;
    }
    return partPath(path.join(blobsDir, 'incoming'));
  }

  async function adopt(file: string, sha: string): Promise<string> {
    const target = blob(sha);
    if (await exists(target)) {
      await fs.rm(file, { force: true });
      return target;
    }
    await fs.chmod(file, 0o444).catch(() => {});
    await fs.rename(file, target);
    return target;
  }

  async function list(): Promise<{ records: CacheRecord[]; problems: string[] }> {
    if (!dir) return { records: [], problems: [] };
    await ready();
    const records: CacheRecord[] = [];
    const problems: string[] = [];
    for (const f of await fs.readdir(indexDir).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      const r = parseRecord(await fs.readFile(path.join(indexDir, f), 'utf8').catch(() => ''));
      if (r) records.push(r);
      else problems.push(path.join(indexDir, f));
    }
    return { records, problems };
  }

  return {
    enabled: Boolean(dir),
    dir,
    get,
    async blobFor(sha) {
      return dir && (await exists(blob(sha))) ? blob(sha) : undefined;
    },
    storeBlob,
    incoming,
    adopt,
    async put(url, file, entry) {
      if (!dir) return;
      await ready();
      if (file) await storeBlob(file, entry.sha256);
      const prior = await get(url);
      // A checksum from upstream beats one merely recorded on first use.
      if (prior && prior.verified !== 'first-use' && prior.sha256 !== entry.sha256) return;
      await writeRecord({ url, ...entry });
    },
    list,
    async clear(urls) {
      if (!dir) return { removed: [], unknown: urls };
      await ready();
      if (urls.length === 0) {
        const { records } = await list();
        await fs.rm(indexDir, { recursive: true, force: true });
        await fs.rm(path.join(dir, 'blobs'), { recursive: true, force: true });
        return { removed: records.map((r) => r.url), unknown: [] };
      }
      const removed: string[] = [];
      const unknown: string[] = [];
      for (const url of urls) {
        const e = await get(url);
        if (!e) {
          unknown.push(url);
          continue;
        }
        await fs.rm(entryFile(url), { force: true });
        await fs.rm(refFile(e.sha256, url), { force: true });
        const left = await fs.readdir(path.join(blobsDir, `${e.sha256}.refs`)).catch(() => [] as string[]);
        if (left.length === 0) {
          await fs.rm(path.join(blobsDir, `${e.sha256}.refs`), { recursive: true, force: true });
          await fs.rm(blob(e.sha256), { force: true });
        }
        removed.push(url);
      }
      return { removed, unknown };
    },
    async verify() {
      const problems: string[] = [];
      const repaired: string[] = [];
      if (!dir) return { ok: 0, problems, repaired };
      const { records, problems: corrupt } = await list();
      const allRefs = await refs();
      for (const f of corrupt) {
        const key = path.basename(f, '.json');
        const r = allRefs.find((x) => keyOf(x.url) === key);
        if (r) {
          await writeAtomic(f, JSON.stringify(r, null, 2) + '\n');
          repaired.push(`${f}: corrupt index entry rebuilt from the blob record (${r.url})`);
          records.push(r);
        } else {
          await fs.rm(f, { force: true });
          repaired.push(`${f}: corrupt index entry removed (no blob records its URL)`);
        }
      }
      // Records whose index entry is missing (e.g. an interrupted write) come back from the refs.
      for (const r of allRefs) {
        if (!records.some((x) => x.url === r.url)) {
          await writeAtomic(entryFile(r.url), JSON.stringify(r, null, 2) + '\n');
          repaired.push(`${r.url}: missing index entry rebuilt from the blob record`);
          records.push(r);
        }
      }
      let ok = 0;
      for (const r of records) {
        const b = blob(r.sha256);
        if (!(await exists(b))) {
          problems.push(`${r.url}: blob ${r.sha256} is missing (the next download fetches it again and verifies it against the ${r.verified} sha256)`);
          continue;
        }
        const sum = await sha256File(b);
        if (sum !== r.sha256) {
          await fs.rm(b, { force: true });
          repaired.push(`${r.url}: blob ${r.sha256} was corrupt (sha256 ${sum}); removed, the next download fetches it again`);
          continue;
        }
        ok++;
      }
      return { ok, problems, repaired };
    },
  };
}
