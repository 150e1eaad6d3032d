import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { artifactFailure, artifactState, placeStep } from '../src/features/artifacts.js';
import { ztunnelPlan } from '../src/istio/init.js';

export const ztunnel = {
  id: 'ztunnel',
  title: 'ztunnel (make init)',
  category: 'artifacts',
  description:
    'On 1.18+ (`init:` depends on init-ztunnel-rs, which runs bin/build_ztunnel.sh every time): ztunnel-<ZTUNNEL_REPO_SHA> (from istio.deps) is at out/linux_<arch>/release/, with the copies the script makes after downloading it: release/ztunnel and out/linux_<arch>/ztunnel. The script skips the download, and both copies, when release/ztunnel-<SHA> exists, so all three must be there.',
  fixDescription: 'Downloads ztunnel-<SHA>-<TARGET_ARCH> from ISTIO_ZTUNNEL_BASE_URL (mirrors.urls applied), verifies it and places it at all three paths.',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await ztunnelPlan(ctx)) ? true : 'make init of this line builds no ztunnel (1.18+ only)'),
  async run(ctx): Promise<CheckResult> {
    const plan = (await ztunnelPlan(ctx))!;
    const st = await artifactState(ctx, plan.fetches);
    const required = `ztunnel ${plan.sha.value.slice(0, 12)} for linux_${plan.layout.arch.value}`;
    const source = plan.sha.fromEnv ? 'env ZTUNNEL_REPO_SHA' : `${plan.sha.file}:${plan.sha.line}`;
    const failed = artifactFailure(ctx, st, 'ztunnel', { required, source, hint: 'devenv fix ztunnel' });
    if (failed) return failed;
    return { status: 'ok', summary: `ztunnel ${plan.sha.value.slice(0, 12)} in place (${plan.target} runs it on every make init)`, found: 'all present', required, source, details: st.details };
  },
  async fix(ctx) {
    const plan = (await ztunnelPlan(ctx))!;
    return { steps: [await placeStep(ctx, plan.fetches, [], { label: 'ztunnel', headers: plan.headers, mode: () => 0o755 })] };
  },
} satisfies IstioCheck;
