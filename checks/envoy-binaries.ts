import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { artifactFailure, artifactState, placeStep, shortPath, unverifiedUpstream } from '../src/features/artifacts.js';
import { initPlan, initRerun, type InitPlan } from '../src/istio/init.js';


/** The Envoy part of bin/init.sh: release, debug (where its branch is taken), centos (1.8–1.18), and the copies after them. */
async function envoyPart(ctx: Context): Promise<(InitPlan & { envoy: InitPlan['fetches'] }) | undefined> {
  const plan = await initPlan(ctx);
  if (!plan) return undefined;
  const envoy = plan.fetches.filter((f) => f.kind !== 'wasm');
  return envoy.length ? { ...plan, envoy } : undefined;
}

/** "its copy to X" / "its 2 copies to X, Y": each destination once (on amd64 1.8+'s TARGET_OUT and TARGET_OUT_LINUX are one). */
function leftToMake(ctx: Context, copies: InitPlan['copies']): string {
  const to = [...new Set(copies.map((c) => shortPath(ctx, c.to)))];
  return `its ${to.length === 1 ? 'copy' : `${to.length} copies`} to ${to.join(', ')}`;
}

/** The script's later copies of Envoy, and whether make will make them itself (it runs bin/init.sh first). */
async function laterCopies(ctx: Context, plan: InitPlan) {
  const copies = plan.copies.filter((c) => !/\.wasm$/.test(c.to));
  return { copies, byMake: copies.length ? await initRerun(ctx, plan.layout) : undefined };
}

export const envoyBinaries = {
  id: 'envoy-binaries',
  title: 'Envoy binaries (make init)',
  category: 'artifacts',
  description:
    'Every Envoy file bin/init.sh leaves is in place, read from the checkout: envoy-<SHA> (release), envoy-debug-<SHA> (always on ≤1.4, only with DEBUG_IMAGE from 1.5), envoy-centos-<SHA> (1.8–1.18), with the `envoy` copies beside them (1.3+), $ISTIO_OUT/envoy and, on 1.1–1.4, $ISTIO_BIN/envoy — each identical to the file init.sh copies there (on 1.1–1.4 $ISTIO_OUT/envoy is the debug build). Those last copies init.sh makes on every run, so while make will run it before it builds (its stamp, $(ISTIO_OUT)/istio_is_init, absent or older than bin/init.sh or istio.deps: the rule in the Makefile) they are left to make. The URL carries `-<TARGET_ARCH>` for non-amd64 targets from 1.16.',
  fixDescription:
    'Downloads only the missing Envoy tarballs from the URLs bin/init.sh would use (ISTIO_ENVOY_BASE_URL / *_URL overrides and mirrors.urls applied, AUTH_HEADER sent to the upstream host only), concurrently, extracts usr/local/bin/envoy while each downloads into every path init.sh leaves it at (separate files, never links), and places them once verified, as init.sh\'s own order leaves them. The copies init.sh makes on every run, and a copy beside a download that one of them overwrites (1.3/1.4\'s release/envoy is $ISTIO_OUT/envoy), are left to make while it will run init.sh first (no stamp yet): it would overwrite them. An s3:// base URL needs a mirrors.urls rule to an HTTP(S) mirror.',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await envoyPart(ctx)) ? true : 'no PROXY_REPO_SHA in istio.deps, or bin/init.sh downloads no Envoy'),
  async run(ctx): Promise<CheckResult> {
    const plan = (await envoyPart(ctx))!;
    const { copies: envoyCopies, byMake } = await laterCopies(ctx, plan);
    const st = await artifactState(ctx, plan.envoy, envoyCopies, true, byMake);
    const kinds = plan.envoy.map((a) => a.kind).join(' + ');
    const required = `envoy ${plan.sha.value.slice(0, 12)} (${kinds}) for ${plan.layout.os.value}_${plan.layout.arch.value}`;
    const source = plan.sha.fromEnv ? 'env PROXY_REPO_SHA' : `${plan.sha.file}:${plan.sha.line}`;
    const failed = artifactFailure(ctx, st, 'Envoy', { required, source, hint: 'devenv fix envoy-binaries' });
    if (failed) return failed;
    const unverified = await unverifiedUpstream(ctx, plan.envoy.map((a) => a.url));
    for (const u of unverified) st.details.push(`unverified upstream: ${u} publishes no .sha256; verified only against the sha256 recorded on first download`);
    return {
      status: 'ok',
      summary: `Envoy ${plan.sha.value.slice(0, 12)} ${plan.envoy.map((a) => a.kind).join('/')} in place as bin/init.sh leaves it${byMake ? ` (make runs it first, which makes ${leftToMake(ctx, envoyCopies)})` : ''}${unverified.length ? ' (unverified upstream: no published sha256; checked against the first download)' : ''}`,
      found: byMake ? `${st.wanted.length} of ${st.wanted.length} present; make init makes ${new Set(envoyCopies.map((c) => c.to)).size === 1 ? 'its copy' : 'its copies'}` : 'all present',
      required,
      source,
      details: st.details,
    };
  },
  async fix(ctx) {
    const plan = (await envoyPart(ctx))!;
    const { copies: envoyCopies, byMake } = await laterCopies(ctx, plan);
    return { steps: [await placeStep(ctx, plan.envoy, envoyCopies, { label: 'envoy', headers: plan.headers, mode: () => 0o755, byMake })] };
  },
} satisfies IstioCheck;
