import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import { createDownloader, type ProbeResult } from '../src/platform/download.js';
import { describeRule } from '../src/platform/mirrors.js';
import { describeProxy, proxySettings } from '../src/platform/proxy.js';
import { redactUrl } from '../src/platform/redact.js';
import { downloadBase } from '../src/features/goinstall.js';

/** The hosts `make init`, `make docker`, `go mod download` and `gem install fpm` reach, by default. */
export const DEFAULT_UPSTREAMS = [
  'https://storage.googleapis.com/',
  'https://blob.istio.io/',
  'https://gcr.io/v2/',
  'https://registry.istio.io/v2/',
  'https://go.dev/dl/',
  'https://proxy.golang.org/',
  'https://rubygems.org/',
];

function upstreams(ctx: Parameters<IstioCheck['run']>[0]): string[] {
  const list = ctx.config.network.upstreams ?? [...DEFAULT_UPSTREAMS];
  // What this checkout's config points at instead: the Go download base, GOPROXY, the gem source.
  const extra = [ctx.config.go.downloadBase ? downloadBase(ctx) : undefined, ...(ctx.config.go.proxy?.split(/[,|]/) ?? []), ctx.config.gem.source].filter(
    (u): u is string => Boolean(u) && /^https?:\/\//.test(u!),
  );
  return [...new Set([...list, ...extra])];
}

const answered = (p: ProbeResult) => p.status !== undefined;

function line(p: ProbeResult): string {
  const via = p.via ? ` via proxy ${p.via}` : ' direct';
  if (p.refused) return `${p.url}: not contacted (${p.error})`;
  return answered(p) ? `${p.url}: answers (HTTP ${p.status}, ${p.ms} ms${via})` : `${p.url}: no answer${via}: ${p.error}`;
}

export const networkReach = {
  id: 'network-reach',
  title: 'Network reach (upstreams and mirrors)',
  category: 'network',
  profiles: ['network'],
  // It contacts hosts outside the machine: only when --profile network (or profiles: [network]) names it, never with all.
  optIn: true,
  description:
    'Opt-in (doctor --profile network): whether each upstream the build needs (storage.googleapis.com, blob.istio.io, gcr.io, registry.istio.io, go.dev, proxy.golang.org, rubygems.org, or network.upstreams) and each configured mirror answers within network.reachTimeoutMs (3 s), through the proxy in effect. An upstream counts as covered when it or a mirror for it answers.',
  async run(ctx): Promise<CheckResult> {
    const timeoutMs = ctx.config.network.reachTimeoutMs;
    const proxy = describeProxy(proxySettings(ctx.env, ctx.config), redactUrl);
    if (ctx.config.network.offline) return { status: 'skip', summary: 'offline: no host is contacted', details: [`proxy: ${proxy}`] };
    const d = createDownloader(ctx.config, undefined, { env: ctx.env });
    const probe = (u: string) => d.probe(u, { timeoutMs, signal: ctx.signal });
    const ups = upstreams(ctx);
    const mirrors = [...new Set(Object.values(ctx.config.mirrors.urls))];
    const [upRes, mirRes] = await Promise.all([Promise.all(ups.map(probe)), Promise.all(mirrors.map(probe))]);
    const mirrorOk = new Map(mirrors.map((m, i) => [m, answered(mirRes[i])]));
    const uncovered: string[] = [];
    const details = [`proxy: ${proxy}`];
    ups.forEach((u, i) => {
      const p = upRes[i];
      // Mirror rules for this upstream (any rule whose prefix is on the same origin).
      const origin = new URL(u).origin;
      const rules = Object.entries(ctx.config.mirrors.urls).filter(([from]) => from.startsWith(origin + '/') || from === origin);
      const covered = answered(p) || rules.some(([, to]) => mirrorOk.get(to));
      details.push(line(p) + (rules.length ? `; mirrors: ${rules.map((r) => `${describeRule(r)} ${mirrorOk.get(r[1]) ? 'answers' : 'does not answer'}`).join(', ')}` : ''));
      if (!covered) uncovered.push(redactUrl(u));
    });
    const deadMirrors = mirrors.filter((m) => !mirrorOk.get(m)).map(redactUrl);
    mirRes.forEach((p) => details.push(`mirror ${line(p)}`));
    const hint = 'Set HTTPS_PROXY (or network.proxy) if your network has a proxy, or add mirrors.urls rules for the hosts that do not answer; see README "Networks: proxies, mirrors, offline".';
    if (deadMirrors.length > 0) {
      return { status: 'fail', summary: `configured mirror${deadMirrors.length > 1 ? 's' : ''} not answering within ${timeoutMs} ms: ${deadMirrors.join(', ')}`, found: `${deadMirrors.length} mirror(s) down`, details, hint };
    }
    if (uncovered.length > 0) {
      return { status: 'fail', summary: `${uncovered.length} of ${ups.length} upstreams unreachable (and no mirror answers for them): ${uncovered.join(', ')}`, found: `${ups.length - uncovered.length}/${ups.length} reachable`, details, hint };
    }
    return { status: 'ok', summary: `all ${ups.length} upstreams reachable${mirrors.length ? ` (${mirrors.length} mirror${mirrors.length > 1 ? 's' : ''} answer)` : ''}; proxy: ${proxy}`, found: `${ups.length}/${ups.length} reachable`, details };
  },
} satisfies IstioCheck;

