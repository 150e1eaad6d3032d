import path from 'node:path';
import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { manualStep } from '../src/features/steps.js';

/**
 * Asks `kubectl` itself, which merges KUBECONFIG=a:b, runs exec plugins and
 * auth providers, reads tokenFile and honours proxy-url and HTTPS_PROXY: a
 * hand-written client gets all of that wrong for GKE, EKS and AKS users.
 */
const REQUEST_TIMEOUT = '5s';

function firstLine(s: string): string {
  return s.trim().split('\n').find((l) => l.trim() && !/^\s*(Client Version|Kustomize Version)/.test(l))?.trim() ?? '';
}

export const kubeconfig = {
  id: 'kubeconfig',
  title: 'Kubernetes cluster',
  category: 'cluster',
  profiles: ['cluster'],
  description:
    'kubectl on PATH, a current context in the kubeconfig it reads ($KUBECONFIG, merged when it lists several files, else ~/.kube/config) whose API server answers `kubectl version` within 5 s, and the istio-system namespace there (`kubectl get ns istio-system`).',
  fixDescription: 'Prints what to do: install kubectl, select a context or refresh credentials, or create istio-system (devenv does not create clusters).',
  async run(ctx): Promise<CheckResult> {
    const source = ctx.env.KUBECONFIG ? `KUBECONFIG=${ctx.env.KUBECONFIG}` : path.join(ctx.paths.home, '.kube', 'config');
    const kubectl = await ctx.which('kubectl');
    if (!kubectl) return { status: 'fail', summary: 'kubectl not found on PATH', found: 'no kubectl', source, hint: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/' };
    const view = await ctx.exec(kubectl, ['config', 'view', '--minify', '-o', 'json'], { timeoutMs: 10_000, cwd: '/' });
    let context = '';
    let server = '';
    try {
      const v = JSON.parse(view.stdout) as { 'current-context'?: string; clusters?: { cluster?: { server?: string } }[] };
      context = v['current-context'] ?? '';
      server = v.clusters?.[0]?.cluster?.server ?? '';
    } catch {
      // no usable kubeconfig: kubectl's own message says why
    }
    if (!view.ok || !context) {
      const why = firstLine(view.stderr) || 'no current context';
      return { status: 'fail', summary: `no usable kubeconfig (${source}): ${why}`, found: 'no current context', source, hint: "Point KUBECONFIG at your cluster's kubeconfig (kind get kubeconfig, gcloud container clusters get-credentials, …) or run kubectl config use-context <name>" };
    }
    const where = `context ${context}${server ? ` (${server})` : ''}`;
    const ver = await ctx.exec(kubectl, ['version', '-o', 'json', `--request-timeout=${REQUEST_TIMEOUT}`], { timeoutMs: 15_000, cwd: '/' });
    let version: string | undefined;
    try {
      version = (JSON.parse(ver.stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion;
    } catch {
      version = undefined;
    }
    if (!version) {
      const err = firstLine(ver.stderr) || (ver.timedOut ? 'kubectl version timed out' : `exit ${ver.exitCode}`);
      if (/unauthorized|must be logged in|401/i.test(err)) {
        return { status: 'fail', summary: `the API server of ${where} rejected the credentials (401): ${err}`, found: 'unauthorized', source, hint: 'Refresh your credentials for this cluster (e.g. gcloud container clusters get-credentials, aws eks update-kubeconfig, az aks get-credentials)' };
      }
      return { status: 'fail', summary: `the API server of ${where} did not answer \`kubectl version\` within ${REQUEST_TIMEOUT}: ${err}`, found: 'unreachable', source, hint: 'Is the cluster running? kubectl config current-context; kubectl cluster-info' };
    }
    const ns = await ctx.exec(kubectl, ['get', 'ns', 'istio-system', '-o', 'name', `--request-timeout=${REQUEST_TIMEOUT}`], { timeoutMs: 15_000, cwd: '/' });
    if (ns.ok && ns.stdout.trim() === 'namespace/istio-system') {
      return { status: 'ok', summary: `${where}: Kubernetes ${version}, istio-system present`, found: version, source };
    }
    if (/NotFound|not found/i.test(ns.stderr)) {
      return { status: 'warn', summary: `${where} answers (Kubernetes ${version}) but has no istio-system namespace`, found: version, source, hint: 'kubectl create namespace istio-system' };
    }
    return { status: 'warn', summary: `${where} answers (Kubernetes ${version}); could not read namespace istio-system: ${firstLine(ns.stderr) || `exit ${ns.exitCode}`}`, found: version, source };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(_ctx, result) {
    if (result.found === 'no kubectl') return { steps: [manualStep('install kubectl (https://kubernetes.io/docs/tasks/tools/)')] };
    if (result.summary.includes('no istio-system')) return { steps: [manualStep('kubectl create namespace istio-system')] };
    if (result.found === 'unauthorized') return { steps: [manualStep('refresh the credentials of the current context (your cloud CLI\'s get-credentials command)')] };
    return { steps: [manualStep('start or select a cluster: kubectl config use-context <name> (kind create cluster, minikube start, …)')] };
  },
} satisfies IstioCheck;
