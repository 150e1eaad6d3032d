import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { artifactFailure, artifactState, placeStep } from '../src/features/artifacts.js';
import { initPlan } from '../src/istio/init.js';

async function wasmPart(ctx: Context) {
  const plan = await initPlan(ctx);
  const wasm = plan?.fetches.filter((f) => f.kind === 'wasm') ?? [];
  return plan && wasm.length ? { ...plan, wasm } : undefined;
}

export const wasmFilters = {
  id: 'wasm-filters',
  title: 'wasm filters (make init)',
  category: 'artifacts',
  description:
    'On the lines whose bin/init.sh fetches them (1.5–1.17): {stats,metadata_exchange}-<SHA>.wasm (and .compiled.wasm from 1.7) from ISTIO_ENVOY_BASE_URL are in the Envoy release dir, with the copies init.sh makes (stats-filter.wasm, metadata-exchange-filter.wasm, …). init.sh skips a filter whose <plugin>-<SHA>.wasm exists and then makes no copy, so both must be there.',
  fixDescription: 'Downloads only the missing filters (mirrors.urls applied, AUTH_HEADER to the upstream host only), verifies them and places each under both names.',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await wasmPart(ctx)) ? true : 'bin/init.sh of this line fetches no wasm filters (only 1.5–1.17 do)'),
  async run(ctx): Promise<CheckResult> {
    const plan = (await wasmPart(ctx))!;
    const st = await artifactState(ctx, plan.wasm, [], false);
    const required = `${plan.wasm.length} filter files for ${plan.sha.value.slice(0, 12)}`;
    const source = plan.wasm[0].at;
    const failed = artifactFailure(ctx, st, 'wasm filter', { required, source, hint: 'devenv fix wasm-filters' });
    if (failed) return failed;
    return { status: 'ok', summary: `${plan.wasm.length} wasm filters in place under the names init.sh uses`, found: 'all present', required, source, details: st.details };
  },
  async fix(ctx) {
    const plan = (await wasmPart(ctx))!;
    return { steps: [await placeStep(ctx, plan.wasm, [], { label: 'wasm', headers: plan.headers, mode: () => 0o644 })] };
  },
} satisfies IstioCheck;
