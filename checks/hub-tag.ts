import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { repositoryError, tagError } from '../src/platform/reference.js';
import { manualStep } from '../src/features/steps.js';
import { readHubTag } from '../src/istio/hubtag.js';

export const hubTag = {
  id: 'hub-tag',
  title: 'HUB and TAG',
  category: 'workspace',
  description:
    'HUB (image repository) and TAG for make docker.push, from the environment, the checkout\'s .env, or .istiorc.mk: valid by Docker\'s reference grammar, and set (else the Makefile pushes to HUB=istio, which you cannot push to, with TAG = the git SHA).',
  fixDescription: 'Points you to `devenv env init`, which writes HUB and TAG into .env (asking before it changes a value).',
  appliesTo: (ctx) => (ctx.root ? true : 'not in an Istio checkout'),
  async run(ctx): Promise<CheckResult> {
    const { HUB, TAG } = await readHubTag(ctx);
    const hubErr = HUB && repositoryError(HUB.value);
    if (HUB && hubErr) {
      return { status: 'fail', summary: `HUB=${HUB.value} (${HUB.source}) is not a valid image repository: ${hubErr}`, found: HUB.value, required: 'a repository such as docker.io/<you> or gcr.io/<project>', source: HUB.source, hint: 'devenv env init --hub <registry>/<you>' };
    }
    const tagErr = TAG && tagError(TAG.value);
    if (TAG && tagErr) {
      return { status: 'fail', summary: `TAG=${TAG.value} (${TAG.source}) is not a valid image tag: ${tagErr}`, found: TAG.value, required: 'letters, digits, _ . - (max 128)', source: TAG.source, hint: 'devenv env init --tag <tag>' };
    }
    const details = [HUB ? `HUB=${HUB.value} (${HUB.source})` : 'HUB unset', TAG ? `TAG=${TAG.value} (${TAG.source})` : 'TAG unset'];
    if (HUB?.source.startsWith('.env') || TAG?.source.startsWith('.env')) details.push('.env is read by your shell, not by make: `source .env` (or `set -a; . ./.env`) before make');
    if (!HUB || !TAG) {
      const missing = [!HUB && 'HUB (make defaults to istio, which you cannot push to)', !TAG && 'TAG (make defaults to the git SHA)'].filter(Boolean).join('; ');
      return {
        status: 'warn',
        summary: `not set: ${missing}`,
        found: HUB ? `HUB=${HUB.value}` : TAG ? `TAG=${TAG.value}` : 'unset',
        required: 'HUB and TAG for make docker.push',
        source: HUB?.source ?? TAG?.source,
        hint: 'devenv env init (or: devenv env init --hub docker.io/<you> --tag <version>-dev)',
        details,
      };
    }
    return { status: 'ok', summary: `HUB=${HUB.value} TAG=${TAG.value}`, found: `${HUB.value}:${TAG.value}`, source: HUB.source === TAG.source ? HUB.source : `${HUB.source}, ${TAG.source}`, details };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(ctx) {
    const version = ctx.project?.version?.value;
    return { steps: [manualStep(`devenv env init${version ? ` --tag ${version}-dev` : ''} --hub <registry>/<your-account>   (or run devenv env init on a terminal)`)] };
  },
} satisfies IstioCheck;
