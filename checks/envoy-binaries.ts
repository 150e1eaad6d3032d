import os from 'node:os';
import path from 'node:path';
import type { Check, CheckResult, FixStep } from '../src/core/check.js';
import { copyAtomic, extractMember, isExecutableFile } from '../src/core/files.js';
import { describeUrl } from '../src/core/mirrors.js';
import { actionStep } from '../src/core/steps.js';
import { envoyPlan } from '../src/istio/init.js';

export const envoyBinaries = {
  id: 'envoy-binaries',
  title: 'Envoy binaries (make init)',
  category: 'artifacts',
  description:
    'The Envoy binaries bin/init.sh leaves are in place: envoy-debug-<SHA> and envoy-<SHA> (PROXY_REPO_SHA from istio.deps) with the `envoy` copies beside them, $ISTIO_OUT/envoy and $ISTIO_BIN/envoy — so `make init` needs no network.',
  fixDescription:
    'Downloads the Envoy tarballs from the URLs bin/init.sh would use (ISTIO_ENVOY_BASE_URL / *_URL overrides and mirrors.urls applied, AUTH_HEADER sent), verifies them, extracts usr/local/bin/envoy and makes the same copies init.sh makes.',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await envoyPlan(ctx)) ? true : 'no PROXY_REPO_SHA in istio.deps'),
  async run(ctx): Promise<CheckResult> {
    const plan = (await envoyPlan(ctx))!;
    const wanted = [...plan.artifacts.flatMap((a) => [a.path, a.copy]), ...plan.copies];
    const present = await Promise.all(wanted.map((p) => isExecutableFile(p)));
    const missing = wanted.filter((_, i) => !present[i]);
    const home = ctx.paths.home;
    const show = (p: string) => (p.startsWith(home + path.sep) ? '~' + p.slice(home.length) : p);
    const details = [...plan.artifacts.map((a) => `${a.kind}: ${a.url} (${a.urlSource}) → ${show(a.path)}`), ...wanted.map((p, i) => `${present[i] ? 'present' : 'missing'} ${show(p)}`)];
    const required = `envoy ${plan.sha.value.slice(0, 12)}`;
    const source = plan.sha.fromEnv ? 'env PROXY_REPO_SHA' : `${plan.sha.file}:${plan.sha.line}`;
    if (missing.length === 0) return { status: 'ok', summary: `Envoy ${plan.sha.value.slice(0, 12)} debug/release binaries in place`, found: 'all present', required, source, details };
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
    const steps: FixStep[] = plan.artifacts.map((a) =>
      actionStep('download', `download ${describeUrl(a.url, ctx.config)}, extract usr/local/bin/envoy to ${a.path}, copy to ${a.copy}`, async (c) => {
        const tgz = path.join(os.tmpdir(), `devenv-envoy-${process.pid}-${a.kind}-${Date.now()}.tar.gz`);
        try {
          const got = await c.download({
            url: a.url,
            dest: tgz,
            publishedChecksum: true,
            headers: plan.headers,
            onProgress: (p) => c.log(`envoy ${a.kind}: ${Math.round(p.bytes / 1048576)} MiB${p.total ? ` of ${Math.round(p.total / 1048576)} MiB` : ''}${p.etaSeconds !== undefined ? `, ${Math.round(p.etaSeconds)}s left` : ''}`),
          });
          c.log(`envoy ${a.kind}: ${got.fromCache ? 'from the cache' : `from ${got.urlUsed}`}, sha256 ${got.verified}`);
          await extractMember(tgz, 'usr/local/bin/envoy', a.path);
          await copyAtomic(a.path, a.copy, 0o755);
        } finally {
          await c.fs.rm(tgz, { force: true });
        }
      }),
    );
    const native = plan.artifacts.find((a) => a.kind === plan.nativeFrom) ?? plan.artifacts[0];
    for (const dest of plan.copies) steps.push(actionStep('copy', `copy ${native.path} to ${dest}`, async () => copyAtomic(native.path, dest, 0o755)));
    return { steps };
  },
} satisfies Check;
