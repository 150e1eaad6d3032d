import type { IstioCheck } from '../src/istio/project.js';
import os from 'node:os';
import path from 'node:path';
import type { CheckResult, FixStep } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { progressLogger } from '../src/platform/download.js';
import { copyAtomic, extractMember, isExecutableFile } from '../src/platform/files.js';
import { describeUrl } from '../src/platform/mirrors.js';
import { actionStep } from '../src/features/steps.js';
import { envoyPlan } from '../src/istio/init.js';

/** Artifacts whose sha256 was only recorded on first download (nothing upstream to verify against). */
export async function unverifiedUpstream(ctx: Context, urls: string[]): Promise<string[]> {
  const recs = await Promise.all(urls.map((u) => ctx.downloadRecord(u)));
  return urls.filter((u, i) => recs[i]?.verified === 'first-use' && !ctx.config.checksums[u]);
}

export const envoyBinaries = {
  id: 'envoy-binaries',
  title: 'Envoy binaries (make init)',
  category: 'artifacts',
  description:
    'The Envoy binaries bin/init.sh leaves are in place: envoy-debug-<SHA> and envoy-<SHA> (PROXY_REPO_SHA from istio.deps; debug only where init.sh fetches it) with the `envoy` copies beside them, $ISTIO_OUT/envoy and (1.4) $ISTIO_BIN/envoy — so `make init` needs no network.',
  fixDescription:
    'Downloads the Envoy tarballs from the URLs bin/init.sh would use (ISTIO_ENVOY_BASE_URL / *_URL overrides and mirrors.urls applied, AUTH_HEADER sent to the upstream host only), concurrently, verifies them, extracts usr/local/bin/envoy and makes the same copies init.sh makes.',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await envoyPlan(ctx)) ? true : 'no PROXY_REPO_SHA in istio.deps'),
  async run(ctx): Promise<CheckResult> {
    const plan = (await envoyPlan(ctx))!;
    const wanted = [...new Set([...plan.artifacts.flatMap((a) => [a.path, a.copy]), ...plan.copies])];
    const present = await Promise.all(wanted.map((p) => isExecutableFile(p)));
    const missing = wanted.filter((_, i) => !present[i]);
    const home = ctx.paths.home;
    const show = (p: string) => (p.startsWith(home + path.sep) ? '~' + p.slice(home.length) : p);
    const details = [...plan.artifacts.map((a) => `${a.kind}: ${a.url} (${a.urlSource}) → ${show(a.path)}`), ...wanted.map((p, i) => `${present[i] ? 'present' : 'missing'} ${show(p)}`)];
    const required = `envoy ${plan.sha.value.slice(0, 12)} (${plan.artifacts.map((a) => a.kind).join(' + ')})`;
    const source = plan.sha.fromEnv ? 'env PROXY_REPO_SHA' : `${plan.sha.file}:${plan.sha.line}`;
    if (missing.length === 0) {
      const unverified = await unverifiedUpstream(ctx, plan.artifacts.map((a) => a.url));
      for (const u of unverified) details.push(`unverified upstream: ${u} publishes no .sha256; verified only against the sha256 recorded on first download`);
      return {
        status: 'ok',
        summary: `Envoy ${plan.sha.value.slice(0, 12)} ${plan.artifacts.map((a) => a.kind).join('/')} binaries in place${unverified.length ? ' (unverified upstream: no published sha256; checked against the first download)' : ''}`,
        found: 'all present',
        required,
        source,
        details,
      };
    }
    return {
      status: 'fail',
      summary: `${missing.length} of ${wanted.length} Envoy files missing (first: ${show(missing[0])})`,
      found: `${wanted.length - missing.length} of ${wanted.length} present`,
      required,
      source,
      hint: 'devenv fix envoy-binaries (then make init needs no network for Envoy)',
      details,
    };
  },
  async fix(ctx) {
    const plan = (await envoyPlan(ctx))!;
    // One step per tarball, run concurrently; the native copies ride with the artifact they come from.
    const steps: FixStep[] = plan.artifacts.map((a) => {
      const extra = a.kind === plan.nativeFrom ? plan.copies : [];
      const copies = [a.copy, ...extra];
      return actionStep('download', `download ${describeUrl(a.url, ctx.config)}, extract usr/local/bin/envoy to ${a.path}, copy to ${copies.join(', ')}`, async (c) => {
        const tgz = path.join(os.tmpdir(), `devenv-envoy-${process.pid}-${a.kind}-${Date.now()}.tar.gz`);
        try {
          const got = await c.download({
            url: a.url,
            dest: tgz,
            publishedChecksum: true,
            authHeaders: plan.headers,
            onProgress: progressLogger(c.log, `envoy ${a.kind}`),
          });
          const how = got.verified === 'first-use' ? 'unverified upstream (no .sha256 published); sha256 recorded for later uses' : `sha256 ${got.verified}`;
          c.log(`envoy ${a.kind}: ${got.fromCache ? 'from the cache' : `from ${got.urlUsed}`}, ${how}`);
          await extractMember(tgz, 'usr/local/bin/envoy', a.path);
          await got.confirm(); // it extracted: only now may a first-use sha256 be recorded
          for (const dest of copies) await copyAtomic(a.path, dest, 0o755);
        } finally {
          await c.fs.rm(tgz, { force: true });
        }
      });
    });
    return { steps, concurrent: true };
  },
} satisfies IstioCheck;
