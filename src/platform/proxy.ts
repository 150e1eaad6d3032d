/**
 * Which proxy a request goes through: HTTPS_PROXY / HTTP_PROXY / NO_PROXY
 * (lower case wins over upper case, as curl reads them), or config
 * `network.proxy` / `network.noProxy`, which override the environment.
 *
 * NO_PROXY follows curl: `*` disables the proxy; entries are separated by
 * commas (and spaces); a host name matches itself and every subdomain
 * (`example.com` and `.example.com` both match `a.example.com`); an IP
 * address matches itself; a CIDR block (`10.0.0.0/8`, `fd00::/8`) matches IP
 * literals inside it; `host:port` also requires the port.
 *
 * proxy-from-env implements the same rules but only reads process.env, and
 * devenv must take its environment from the context (tests never mutate
 * process.env) and let config override it, hence this small module.
 */
import net from 'node:net';
import { redactUrl } from './redact.js';

export interface ProxySettings {
  /** Proxy for https:// URLs (may carry credentials; never print it unredacted). */
  https?: string;
  /** Proxy for http:// URLs. */
  http?: string;
  noProxy: string[];
  /** Where the settings came from. */
  source: 'config' | 'env' | 'none';
}

type Env = Record<string, string | undefined>;

function pick(env: Env, name: string): string | undefined {
  const v = env[name.toLowerCase()] || env[name.toUpperCase()];
  return v && v.trim() ? v.trim() : undefined;
}

function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A proxy value without a scheme (`proxy:3128`) means http://, as curl does. */
function normalizeProxy(v: string | undefined): string | undefined {
  if (!v) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`;
}

export interface NetworkConfigLike {
  network?: { proxy?: string; httpProxy?: string; noProxy?: string[] | string };
}

export function proxySettings(env: Env, config: NetworkConfigLike = {}): ProxySettings {
  const n = config.network ?? {};
  if (n.proxy || n.httpProxy) {
    const noProxy = Array.isArray(n.noProxy) ? n.noProxy : splitList(n.noProxy);
    return { https: normalizeProxy(n.proxy), http: normalizeProxy(n.httpProxy ?? n.proxy), noProxy, source: 'config' };
  }
  const https = normalizeProxy(pick(env, 'https_proxy') ?? pick(env, 'all_proxy'));
  const http = normalizeProxy(pick(env, 'http_proxy') ?? pick(env, 'all_proxy'));
  const noProxy = splitList(pick(env, 'no_proxy'));
  return { https, http, noProxy, source: https || http ? 'env' : 'none' };
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function inCidr(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const base = cidr.slice(0, slash);
  const bits = Number(cidr.slice(slash + 1));
  const family = net.isIPv4(base) ? 'ipv4' : net.isIPv6(base) ? 'ipv6' : undefined;
  if (!family || !Number.isInteger(bits)) return false;
  const ipFamily = net.isIPv4(ip) ? 'ipv4' : 'ipv6';
  if (ipFamily !== family) return false;
  const list = new net.BlockList();
  list.addSubnet(base, bits, family);
  return list.check(ip, family);
}

/** True when NO_PROXY says `url` goes direct. */
export function bypassesProxy(url: URL, noProxy: readonly string[]): boolean {
  const host = stripBrackets(url.hostname.toLowerCase());
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const isIp = net.isIP(host) !== 0;
  for (const raw of noProxy) {
    let entry = raw.toLowerCase();
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const m = /^(\[[^\]]*\]|[^:]+):(\d+)$/.exec(entry);
    if (m) [entry, entryPort] = [m[1], m[2]];
    entry = stripBrackets(entry);
    if (entryPort && entryPort !== port) continue;
    if (entry.includes('/')) {
      if (isIp && inCidr(host, entry)) return true;
      continue;
    }
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) entry = entry.slice(1);
    if (!entry) continue;
    if (host === entry || (!isIp && host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/** The proxy URL for a request to `url`, or undefined to go direct. */
export function proxyFor(url: string | URL, s: ProxySettings): string | undefined {
  const u = typeof url === 'string' ? new URL(url) : url;
  const proxy = u.protocol === 'https:' ? s.https : u.protocol === 'http:' ? s.http : undefined;
  if (!proxy) return undefined;
  return bypassesProxy(u, s.noProxy) ? undefined : proxy;
}

/**
 * The environment subprocesses (go, gem, git) get: config `network.proxy`
 * exported as HTTPS_PROXY/HTTP_PROXY/NO_PROXY in both cases, so they take the
 * same way out as devenv itself. Without config, `env` is returned unchanged.
 */
export function proxyEnv(env: Env, config: NetworkConfigLike = {}): Env {
  const s = proxySettings(env, config);
  if (s.source !== 'config') return env;
  const out: Env = { ...env };
  const set = (name: string, v: string | undefined) => {
    out[name.toUpperCase()] = v;
    out[name.toLowerCase()] = v;
  };
  set('https_proxy', s.https);
  set('http_proxy', s.http);
  set('no_proxy', s.noProxy.length ? s.noProxy.join(',') : undefined);
  return out;
}

/** One line for reports, credentials redacted: `https: http://u:***@proxy:3128 (env); no_proxy: .corp`. */
export function describeProxy(s: ProxySettings, redactUrl: (t: string) => string): string {
  if (s.source === 'none') return 'none (direct)';
  const parts: string[] = [];
  if (s.https) parts.push(`https via ${redactUrl(s.https)}`);
  if (s.http) parts.push(`http via ${redactUrl(s.http)}`);
  if (s.noProxy.length) parts.push(`NO_PROXY ${s.noProxy.join(',')}`);
  return `${parts.join('; ')} (from ${s.source === 'config' ? 'config network.proxy' : 'the environment'})`;
}

/** What `doctor` reports: the proxy in effect (redacted) and whether upstreams may be contacted. */
export function networkSummary(env: Env, config: NetworkConfigLike & { prefer?: string; network?: { offline?: boolean } }): { proxy: string; mode: string } {
  const mode = config.network?.offline ? 'offline (no host is contacted)' : config.prefer === 'mirror-only' ? 'mirror-only (upstream hosts with a mirror rule are never contacted)' : `prefer ${config.prefer ?? 'upstream'}`;
  return { proxy: describeProxy(proxySettings(env, config), redactUrl), mode };
}
