import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { initPlan, initStampState } from '../src/istio/init.js';

export const initNetwork = {
  id: 'init-network',
  title: 'make init without network',
  category: 'artifacts',
  description:
    'Warns where bin/init.sh fetches something on every run with no skip-if-exists rule, so no prefetch can make `make init` offline: 1.2 and 1.3 always download https://raw.githubusercontent.com/istio/proxy/<SHA>/istio.deps to $ISTIO_OUT/istio_proxy.deps.',
  appliesTo: async (ctx) => {
    if (!ctx.root) return 'not in an Istio checkout';
    const plan = await initPlan(ctx);
    return plan && plan.unprefetchable.length > 0 ? true : 'bin/init.sh fetches nothing unconditionally';
  },
  async run(ctx): Promise<CheckResult> {
    const plan = (await initPlan(ctx))!;
    const u = plan.unprefetchable[0];
    // make skips bin/init.sh only while the stamp of its rule is newer than the script and istio.deps
    const st = await initStampState(ctx, plan.layout);
    const sentinel = st?.stamp ?? `${plan.layout.istioOut}/istio_is_init`;
    const initDone = st !== undefined && !st.reruns;
    const state = !st
      ? 'no stamp rule for bin/init.sh was found in the Makefiles: make is taken to run it'
      : st.newer
        ? `it does, but ${st.newer} is newer, so make runs bin/init.sh again (${st.at})`
        : st.reruns
          ? `it does not yet (${st.at})`
          : `it does, newer than what it depends on (${st.at})`;
    const details = [
      ...plan.unprefetchable.map((x) => `${x.at}: fetches ${x.url}${x.dest ? ` to ${x.dest}` : ''} on every run (errexit + pipefail: make init fails offline)`),
      `make skips bin/init.sh while ${sentinel} exists and is newer than bin/init.sh and istio.deps: ${state}`,
    ];
    if (initDone) {
      return {
        status: 'ok',
        summary: `make init already completed here (${sentinel}), so make does not run bin/init.sh and its fetch of ${u.url} again`,
        found: 'istio_is_init present',
        source: u.at,
        details,
      };
    }
    return {
      status: 'warn',
      summary: st?.newer
        ? `make init is not offline here: ${st.newer} changed since make init last ran, so make runs bin/init.sh again, and ${u.at} fetches ${u.url}, which no prefetch can satisfy`
        : `make init is not offline on this line: ${u.at} fetches ${u.url} on every run, which no prefetch can satisfy`,
      found: 'unconditional fetch',
      required: 'network for make init (once)',
      source: u.at,
      hint: `Run make init once where raw.githubusercontent.com is reachable (directly or through https_proxy); afterwards ${sentinel} makes make skip bin/init.sh until bin/init.sh or istio.deps changes. devenv still places Envoy and helm so that run downloads nothing else.`,
      details,
    };
  },
} satisfies IstioCheck;
