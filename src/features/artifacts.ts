/**
 * Checking and placing what `make init` downloads (src/istio/init.ts plans):
 * every destination present, the script's after-download copies identical to
 * their sources; the fix downloads only what is missing (concurrently), then
 * places files and copies one by one in the script's own order, so a path two
 * steps write (1.4's $ISTIO_OUT/envoy) ends as the script leaves it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, FixStep } from '../engine/check.js';
import type { Context } from '../engine/context.js';
import { progressLogger, type DownloadResult } from '../platform/download.js';
import { DevenvError } from '../platform/errors.js';
import { commitStaged, copyAtomic, exists, isExecutableFile, stage, type Staged } from '../platform/files.js';
import { FilesSink, TarGzMemberSink } from '../platform/sinks.js';
import { describeUrl, mirrorUrl } from '../platform/mirrors.js';
import { s3Rule, type Copy, type Fetch, type InitRerun } from '../istio/init.js';
import { actionStep } from './steps.js';

export interface ArtifactState {
  /** every destination, in the script's order */
  wanted: string[];
  missing: string[];
  /** copies whose destination is not the file the script copies there */
  stale: Copy[];
  /** s3:// URLs with no mirrors.urls rule (devenv downloads over HTTP(S) only) */
  s3: Fetch[];
  details: string[];
}

/**
 * Whether `b` is a copy of `a`: same size and the same bytes at 16 places spread over the file
 * (both ends included). Envoy binaries run to hundreds of MB and doctor runs often; two different
 * builds (debug/release, another SHA) differ in size or within the first blocks, so sampling
 * decides this without reading a gigabyte on every run.
 */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.stat(a).catch(() => undefined), fs.stat(b).catch(() => undefined)]);
  if (!sa || !sb || sa.size !== sb.size) return false;
  const block = 64 * 1024;
  const size = sa.size;
  const offsets = size <= 16 * block ? [0] : Array.from({ length: 16 }, (_, i) => Math.floor(((size - block) * i) / 15));
  const len = size <= 16 * block ? size : block;
  const [fa, fb] = await Promise.all([fs.open(a, 'r'), fs.open(b, 'r')]);
  try {
    const ba = Buffer.alloc(len);
    const bb = Buffer.alloc(len);
    for (const off of offsets) {
      await Promise.all([fa.read(ba, 0, len, off), fb.read(bb, 0, len, off)]);
      if (!ba.equals(bb)) return false;
    }
    return true;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

const present = (p: string, executable: boolean) => (executable ? isExecutableFile(p) : exists(p));

export function shortPath(ctx: Context, p: string): string {
  const home = ctx.paths.home;
  return p.startsWith(home + path.sep) ? '~' + p.slice(home.length) : p;
}

/** What is in place of the plan's files and copies. */
export async function artifactState(ctx: Context, fetches: Fetch[], copies: Copy[] = [], executable = true, byMake?: InitRerun): Promise<ArtifactState> {
  const ours = byMake ? [] : copies;
  const wanted = [...new Set([...fetches.flatMap((f) => [f.path, ...besideOf(f, copies, byMake)]), ...ours.map((c) => c.to)])];
  const have = await Promise.all(wanted.map((p) => present(p, executable || !/\.wasm$/.test(p))));
  const missing = wanted.filter((_, i) => !have[i]);
  const stale: Copy[] = [];
  for (const c of ours) {
    if (missing.includes(c.to) || missing.includes(c.from)) continue;
    // Only the last copy to a path decides what is there.
    if (ours.filter((x) => x.to === c.to).at(-1) !== c) continue;
    if (!(await sameFile(c.from, c.to))) stale.push(c);
  }
  const s3 = fetches.filter((f) => f.url.startsWith('s3://') && !mirrorUrl(f.url, ctx.config)?.match(/^https?:\/\//));
  const details = [
    ...fetches.map((f) => `${f.name}: ${f.url} (${f.urlSource}; ${f.at}) → ${shortPath(ctx, f.path)}${f.copies.length ? `, copied to ${f.copies.map((p) => shortPath(ctx, p)).join(', ')}` : ''}`),
    ...copies.map((c) => `then ${c.at}: cp ${shortPath(ctx, c.from)} ${shortPath(ctx, c.to)}${byMake ? ' (made by make itself)' : ''}`),
    ...(byMake && copies.length ? [byMakeNote(ctx, byMake)] : []),
    ...wanted.map((p, i) => `${have[i] ? 'present' : 'missing'} ${shortPath(ctx, p)}`),
    ...stale.map((c) => `differs: ${shortPath(ctx, c.to)} is not a copy of ${shortPath(ctx, c.from)} (${c.at} copies it there)`),
  ];
  return { wanted, missing, stale, s3, details };
}

/**
 * The copies right after a download that devenv makes: all of them, unless make will run the script first and a
 * later copy of the script writes the same path (1.3/1.4's release/envoy is $ISTIO_OUT/envoy, which init.sh
 * overwrites with the debug build on every run): then that path is make's too.
 */
function besideOf(f: Fetch, copies: Copy[], byMake: InitRerun | undefined): string[] {
  if (!byMake) return f.copies;
  const later = new Set(copies.map((c) => c.to));
  return f.copies.filter((p) => !later.has(p));
}

/** Why make runs the script before it builds: "<stamp> is absent; Makefile.core.mk:290". */
function rerunWhy(ctx: Context, r: InitRerun): string {
  return `${r.newer ? `${r.newer} is newer than ${shortPath(ctx, r.stamp)}` : `${shortPath(ctx, r.stamp)} is absent`}; ${r.at}`;
}

/** Why the script's later copies are left to make, as one detail line. */
export function byMakeNote(ctx: Context, r: InitRerun): string {
  return `make runs bin/init.sh before it builds (${rerunWhy(ctx, r)}), and the script makes those copies on every run: devenv leaves them to it`;
}

/** A failing result for missing/stale files, naming the first one and the s3 rule when one is needed. */
export function artifactFailure(ctx: Context, st: ArtifactState, what: string, base: Omit<CheckResult, 'status' | 'summary'>): CheckResult | undefined {
  if (st.s3.length > 0) {
    return {
      ...base,
      status: 'fail',
      summary: `${what} comes from ${st.s3[0].url} (${st.s3[0].urlSource}): devenv downloads over HTTP(S) only`,
      hint: `Add a mirrors.urls rule mapping the bucket to an HTTP(S) mirror, e.g. {"mirrors": {"urls": {${s3Rule(st.s3[0].url)}}}}`,
      details: st.details,
    };
  }
  if (st.missing.length > 0) {
    return {
      ...base,
      status: 'fail',
      summary: `${st.missing.length} of ${st.wanted.length} ${what} files missing (first: ${shortPath(ctx, st.missing[0])})`,
      found: `${st.wanted.length - st.missing.length} of ${st.wanted.length} present`,
      details: st.details,
    };
  }
  if (st.stale.length > 0) {
    const c = st.stale[0];
    return {
      ...base,
      status: 'fail',
      summary: `${shortPath(ctx, c.to)} is not what make init leaves there: ${c.at} copies ${shortPath(ctx, c.from)} to it`,
      found: 'a different file',
      details: st.details,
    };
  }
  return undefined;
}

export interface PlaceOptions {
  label: string;
  headers: Record<string, string>;
  /** file mode of placed files (0o755 for binaries, 0o644 for wasm) */
  mode: (f: Fetch) => number;
  /** make runs the script before it builds: its later copies are left to it */
  byMake?: InitRerun;
}

export interface DeliverOptions {
  url: string;
  /** the tarball member to write; absent: the download itself is the file */
  member?: string;
  /** every file that gets these bytes, with its mode */
  outputs: { path: string; mode: number }[];
  /** names the artifact in progress lines and messages, e.g. "envoy debug" */
  name: string;
  /** credentials for the upstream origin only (AUTH_HEADER) */
  headers?: Record<string, string>;
}

export interface Delivery {
  result: DownloadResult;
  /** Renames every output into place, in the order given. */
  place(): Promise<void>;
  /** Removes the outputs' temp files (when something else failed). */
  discard(): Promise<void>;
}

/**
 * Downloads one artifact and writes it, or its tarball member, to every output
 * while it streams: one read of the network (or of the cache), the member
 * decompressed once, each destination written once, nothing read back. The
 * outputs are temp files until the sha256 verified and the archive was read to
 * its end (gzip's CRC, the member found); then `place()` renames them.
 */
export async function deliver(c: Context, d: DeliverOptions): Promise<Delivery> {
  // All at once (each is a mkdir, an lstat and a readdir): the first request waits for them.
  const staged: Staged[] = await Promise.all(d.outputs.map((o) => stage(o.path, o.mode)));
  const temps = staged.map((x) => x.tmp);
  const sink = d.member ? new TarGzMemberSink(d.member, temps, path.basename(new URL(d.url).pathname)) : new FilesSink(temps);
  try {
    const result = await c.download({ url: d.url, sink, publishedChecksum: true, authHeaders: d.headers, onProgress: progressLogger(c.log, d.name) });
    await sink.end();
    const how = result.verified === 'first-use' ? 'unverified upstream (no .sha256 published); sha256 recorded for later uses' : `sha256 ${result.verified}`;
    c.log(`${d.name}: ${result.fromCache ? 'from the cache' : `from ${result.urlUsed}`}, ${how}`);
    return {
      result,
      async place() {
        for (const x of staged) await commitStaged(x);
      },
      discard: () => sink.abort(),
    };
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

/**
 * One step: download the missing artifacts concurrently (verified; mirrors
 * applied; AUTH_HEADER to the upstream origin only), each written while it
 * streams to every path the script leaves it at (its own path, the copies
 * right after it, and the script's later copies of it), then placed in the
 * script's order. Already-present downloads are not fetched again.
 */
export async function placeStep(ctx: Context, fetches: Fetch[], copies: Copy[], opts: PlaceOptions): Promise<FixStep> {
  const need = new Set<Fetch>();
  for (const f of fetches) if (!(await exists(f.path))) need.add(f);
  const s3 = fetches.filter((f) => need.has(f) && f.url.startsWith('s3://') && !mirrorUrl(f.url, ctx.config)?.match(/^https?:\/\//));
  if (s3.length > 0) {
    throw new DevenvError(`${s3[0].url} is an s3:// URL and devenv downloads over HTTP(S) only`, {
      suggestions: [`Add a mirrors.urls rule: {"mirrors": {"urls": {${s3Rule(s3[0].url)}}}}`],
    });
  }
  const lines: string[] = [];
  for (const f of fetches) {
    const beside = besideOf(f, copies, opts.byMake);
    const into = [f.path, ...beside].join(', ');
    if (need.has(f)) lines.push(`download ${describeUrl(f.url, ctx.config)}${f.member ? `, extract ${f.member}` : ''} to ${into}`);
    else lines.push(`keep ${f.path} (present; ${f.at} skips the download)${beside.length ? `, copy it to ${beside.join(', ')} where missing` : ''}`);
  }
  const ours = opts.byMake ? [] : copies;
  for (const c of ours) lines.push(`then copy ${c.from} to ${c.to} (${c.at})`);
  if (opts.byMake && copies.length) lines.push(`leave the copies to ${[...new Set(copies.map((c) => c.to))].join(', ')} to make, which runs bin/init.sh before it builds (${rerunWhy(ctx, opts.byMake)})`);
  return actionStep('download', lines.join('; '), async (c) => {
    // What every path ends as, following the script in order (a later write to a path wins, as in the script):
    // the bytes of a download, or a copy of a file already in place.
    const finalOf = new Map<string, { fetch: Fetch } | { file: string }>();
    const modeOf = new Map<string, number>();
    const set = (p: string, v: { fetch: Fetch } | { file: string }, mode: number) => {
      finalOf.set(p, v);
      modeOf.set(p, mode);
    };
    for (const f of fetches) {
      const beside = besideOf(f, copies, opts.byMake);
      if (need.has(f)) for (const p of [f.path, ...beside]) set(p, { fetch: f }, opts.mode(f));
      else for (const p of beside) if (!(await exists(p))) set(p, { file: f.path }, opts.mode(f));
    }
    for (const cp of ours) {
      const from = finalOf.get(cp.from);
      if (from) set(cp.to, from, 0o755);
      else if (!(await exists(cp.from))) continue;
      else if (finalOf.has(cp.to) || !(await sameFile(cp.from, cp.to))) set(cp.to, { file: cp.from }, 0o755);
    }
    const outputsOf = (f: Fetch) => [...finalOf].filter(([, v]) => 'fetch' in v && v.fetch === f).map(([p]) => ({ path: p, mode: modeOf.get(p)! }));
    const settled = await Promise.allSettled([...need].map((f) => deliver(c, { url: f.url, member: f.member, outputs: outputsOf(f), name: f.name, headers: opts.headers })));
    const delivered = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(delivered.map((d) => d.discard()));
      throw failed.reason;
    }
    for (const d of delivered) await d.place();
    // Every artifact extracted and placed: only now may a first-use sha256 be recorded (a bad response never poisons the cache).
    for (const d of delivered) await d.result.confirm();
    for (const [p, v] of finalOf) if ('file' in v) await copyAtomic(v.file, p, modeOf.get(p));
  });
}

/** Artifacts whose sha256 was only recorded on first download (nothing upstream to verify against). */
export async function unverifiedUpstream(ctx: Context, urls: string[]): Promise<string[]> {
  const recs = await Promise.all(urls.map((u) => ctx.downloadRecord(u)));
  return urls.filter((u, i) => recs[i]?.verified === 'first-use' && !ctx.config.checksums[u]);
}
