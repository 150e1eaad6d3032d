import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { exists, isExecutableFile } from '../src/platform/files.js';
import { describeUrl } from '../src/platform/mirrors.js';
import { actionStep } from '../src/features/steps.js';
import { helmPlan } from '../src/istio/init.js';
import { deliver, unverifiedUpstream } from '../src/features/artifacts.js';

export const helm = {
  id: 'helm',
  title: 'helm (make init)',
  category: 'artifacts',
  description: 'What bin/init_helm.sh leaves: $ISTIO_OUT/helm, helm-<HELM_VER> and the version.helm.<HELM_VER> sentinel, on the release lines that have that script.',
  fixDescription: 'Downloads the helm tarball init_helm.sh names (HELM_VER; mirrors.urls applied), verifies it (published .sha256, else the sha256 recorded on first download), extracts <os>-<arch>/helm to helm-<VER> and helm while it downloads, places them once verified, and writes the sentinel last.',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await helmPlan(ctx)) ? true : 'this checkout has no bin/init_helm.sh (helm is not fetched by make init)'),
  async run(ctx): Promise<CheckResult> {
    const plan = (await helmPlan(ctx))!;
    const [bin, versioned, sentinel] = await Promise.all([isExecutableFile(plan.bin), isExecutableFile(plan.versioned), exists(plan.sentinel)]);
    const details = [`${plan.url} (${plan.urlSource})`, `${bin ? 'present' : 'missing'} ${plan.bin}`, `${versioned ? 'present' : 'missing'} ${plan.versioned}`, `${sentinel ? 'present' : 'missing'} ${plan.sentinel}`];
    if (bin && versioned && sentinel) {
      const unverified = (await unverifiedUpstream(ctx, [plan.url])).length > 0;
      if (unverified) details.push(`unverified upstream: ${plan.url} publishes no .sha256; verified only against the sha256 recorded on first download`);
      const note = unverified ? ' (unverified upstream: no published sha256; checked against the first download)' : '';
      return { status: 'ok', summary: `helm ${plan.version} in place${note}`, found: plan.version, required: plan.version, source: plan.versionSource, details };
    }
    return {
      status: 'fail',
      summary: `helm ${plan.version} not in place (${[!bin && 'helm', !versioned && `helm-${plan.version}`, !sentinel && 'sentinel'].filter(Boolean).join(', ')} missing)`,
      found: bin ? 'incomplete' : 'missing',
      required: plan.version,
      source: plan.versionSource,
      hint: 'devenv fix helm',
      details,
    };
  },
  async fix(ctx) {
    const plan = (await helmPlan(ctx))!;
    return {
      steps: [
        actionStep('download', `download ${describeUrl(plan.url, ctx.config)}, extract ${plan.member} to ${plan.versioned} and ${plan.bin}, touch ${plan.sentinel}`, async (c) => {
          // extracted while it downloads, into both files at once; placed once verified
          const d = await deliver(c, { url: plan.url, member: plan.member, name: 'helm', outputs: [plan.versioned, plan.bin].map((p) => ({ path: p, mode: 0o755 })) });
          await d.place();
          await d.result.confirm(); // it extracted: only now may a first-use sha256 be recorded
          await c.fs.writeFile(plan.sentinel, ''); // last: init_helm.sh skips everything once the sentinel exists
        }),
      ],
    };
  },
} satisfies IstioCheck;
