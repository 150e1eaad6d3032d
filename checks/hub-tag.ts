import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { repositoryError, tagError } from '../src/platform/reference.js';
import { manualStep } from '../src/features/steps.js';
import { readHubTag, type Setting } from '../src/istio/hubtag.js';
import { suggestedTag } from '../src/istio/facts.js';

const SOURCE_DOTENV = 'set -a; . ./.env; set +a';

export const hubTag = {
  id: 'hub-tag',
  title: 'HUB and TAG',
  category: 'workspace',
  description:
    "HUB (image repository) and TAG as make will see them for make docker.push: from the environment or .istiorc.mk (make's -include; a `?=` there yields to the environment). Valid by Docker's reference grammar, and set (else the Makefile pushes to HUB=istio, which you cannot push to, with TAG = the git SHA). Values only in the checkout's .env are evaluated as bash would (make never reads .env) and reported as a warning saying how to make them count.",
  fixDescription: 'Points you to `devenv env init`, which writes HUB and TAG where make reads them (asking before it changes a value).',
  appliesTo: (ctx) => (ctx.root ? true : 'not in an Istio checkout'),
  async run(ctx): Promise<CheckResult> {
    const { HUB, TAG, dotenv } = await readHubTag(ctx);
    const judge = (s: Setting | undefined, err: (v: string) => string | undefined) => (s && !s.computed ? err(s.value) : undefined);
    const hubErr = judge(HUB, repositoryError) ?? judge(dotenv.HUB, repositoryError);
    const badHub = hubErr ? (judge(HUB, repositoryError) ? HUB : dotenv.HUB)! : undefined;
    if (badHub) {
      return { status: 'fail', summary: `HUB=${badHub.value} (${badHub.source}) is not a valid image repository: ${hubErr}`, found: badHub.value, required: 'a repository such as docker.io/<you> or gcr.io/<project>', source: badHub.source, hint: 'devenv env init --hub <registry>/<you>' };
    }
    const tagErr = judge(TAG, tagError) ?? judge(dotenv.TAG, tagError);
    const badTag = tagErr ? (judge(TAG, tagError) ? TAG : dotenv.TAG)! : undefined;
    if (badTag) {
      return { status: 'fail', summary: `TAG=${badTag.value} (${badTag.source}) is not a valid image tag: ${tagErr}`, found: badTag.value, required: 'letters, digits, _ . - (max 128)', source: badTag.source, hint: 'devenv env init --tag <tag>' };
    }
    const show = (name: string, s: Setting | undefined) => (s ? `${name}=${s.value} (${s.source}${s.computed ? `, computed by your ${s.computed === 'make' ? 'make' : 'shell'}` : ''})` : `${name} unset`);
    const details = [`make sees: ${show('HUB', HUB)}, ${show('TAG', TAG)}`];
    if (dotenv.HUB || dotenv.TAG) details.push(`.env sets: ${[dotenv.HUB && show('HUB', dotenv.HUB), dotenv.TAG && show('TAG', dotenv.TAG)].filter(Boolean).join(', ')}`);
    const onlyInDotenv = (['HUB', 'TAG'] as const).filter((n) => !({ HUB, TAG })[n] && dotenv[n]);
    const tag = suggestedTag(ctx.projectVersion);
    if (onlyInDotenv.length > 0) {
      const names = onlyInDotenv.join(' and ');
      return {
        status: 'warn',
        summary: `${names} ${onlyInDotenv.length > 1 ? 'are' : 'is'} set only in .env, which make does not read (make would use ${onlyInDotenv.map((n) => (n === 'HUB' ? 'HUB=istio' : 'TAG=<git SHA>')).join(', ')})`,
        found: onlyInDotenv.map((n) => `${n}=${dotenv[n]!.value}`).join(' '),
        required: 'HUB and TAG in the environment or .istiorc.mk',
        source: dotenv[onlyInDotenv[0]]!.source,
        hint: `Before make, in this shell: ${SOURCE_DOTENV}   (or: devenv env init, which writes .istiorc.mk, read by make on every line)`,
        details,
      };
    }
    const computed = [HUB, TAG].filter((s) => s?.computed);
    if (computed.length > 0) {
      return {
        status: 'warn',
        summary: `${computed.map((s) => `${s!.name} is computed by your ${s!.computed}: ${s!.value}`).join('; ')} (devenv cannot check what it becomes)`,
        source: computed[0]!.source,
        details,
      };
    }
    if (!HUB || !TAG) {
      const missing = [!HUB && 'HUB (make defaults to istio, which you cannot push to)', !TAG && 'TAG (make defaults to the git SHA)'].filter(Boolean).join('; ');
      return {
        status: 'warn',
        summary: `not set: ${missing}`,
        found: HUB ? `HUB=${HUB.value}` : TAG ? `TAG=${TAG.value}` : 'unset',
        required: 'HUB and TAG for make docker.push',
        source: HUB?.source ?? TAG?.source,
        hint: `devenv env init (or: devenv env init --hub docker.io/<you>${tag ? ` --tag ${tag}` : ''})`,
        details,
      };
    }
    return { status: 'ok', summary: `HUB=${HUB.value} TAG=${TAG.value}`, found: `${HUB.value}:${TAG.value}`, source: HUB.source === TAG.source ? HUB.source : `${HUB.source}, ${TAG.source}`, details };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(ctx) {
    const tag = suggestedTag(ctx.projectVersion);
    return { steps: [manualStep(`devenv env init${tag ? ` --tag ${tag}` : ''} --hub <registry>/<your-account>   (or run devenv env init on a terminal)`)] };
  },
} satisfies IstioCheck;
