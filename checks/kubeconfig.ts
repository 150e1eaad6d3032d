import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { kubeGet, readKubeconfig } from '../src/features/kube.js';
import { manualStep } from '../src/features/steps.js';

const API_TIMEOUT_MS = 5000;

export const kubeconfig = {
  id: 'kubeconfig',
  title: 'Kubernetes cluster',
  category: 'cluster',
  profiles: ['cluster'],
  description:
    'A kubeconfig ($KUBECONFIG, else ~/.kube/config) with a current context whose API server answers within 5 s, the istio-system namespace there, and kubectl on PATH.',
  fixDescription: 'Prints what to do: install kubectl, select a context, or create istio-system (devenv does not create clusters).',
  async run(ctx): Promise<CheckResult> {
    const kc = await readKubeconfig(ctx);
    if (!kc.target) return { status: 'fail', summary: kc.error!, found: kc.file ? 'unusable kubeconfig' : 'no kubeconfig', source: kc.file, hint: 'Point KUBECONFIG at your cluster\'s kubeconfig (kind get kubeconfig, gcloud container clusters get-credentials, …)' };
    const t = kc.target;
    const where = `context ${t.context} (${t.server})`;
    const v = await kubeGet(t, '/version', API_TIMEOUT_MS, ctx.signal);
    if (v.error) return { status: 'fail', summary: `the API server of ${where} did not answer: ${v.error}`, found: 'unreachable', source: t.file, hint: 'Is the cluster running? kubectl config current-context; kubectl cluster-info' };
    if (v.status === 401) return { status: 'fail', summary: `the API server of ${where} rejected the credentials (401)`, found: 'unauthorized', source: t.file, hint: 'Refresh your credentials for this cluster' };
    let version = 'unknown';
    try {
      version = (JSON.parse(v.body ?? '{}') as { gitVersion?: string }).gitVersion ?? version;
    } catch {
      // not JSON
    }
    const kubectl = await ctx.which('kubectl');
    if (!kubectl) return { status: 'fail', summary: `kubectl not found on PATH (the API server of ${where} answers, Kubernetes ${version})`, found: 'no kubectl', source: t.file, hint: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/' };
    const ns = await kubeGet(t, '/api/v1/namespaces/istio-system', API_TIMEOUT_MS, ctx.signal);
    if (ns.status === 404) return { status: 'warn', summary: `${where} answers (Kubernetes ${version}) but has no istio-system namespace`, found: version, source: t.file, hint: 'kubectl create namespace istio-system' };
    if (ns.status !== 200) return { status: 'warn', summary: `${where} answers (Kubernetes ${version}); could not read namespace istio-system (${ns.error ?? `HTTP ${ns.status}`})`, found: version, source: t.file };
    return { status: 'ok', summary: `${where}: Kubernetes ${version}, istio-system present`, found: version, source: t.file };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(_ctx, result) {
    if (result.found === 'no kubectl') return { steps: [manualStep('install kubectl (https://kubernetes.io/docs/tasks/tools/)')] };
    if (result.summary.includes('istio-system')) return { steps: [manualStep('kubectl create namespace istio-system')] };
    return { steps: [manualStep('start or select a cluster: kubectl config use-context <name> (kind create cluster, minikube start, …)')] };
  },
} satisfies IstioCheck;
