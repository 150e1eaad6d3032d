/** Mirror rewriting for URLs and image references, from `mirrors.*` and `prefer`. */
import type { Config } from './config.js';
import { redactUrl } from './redact.js';

function longestPrefix(value: string, map: Record<string, string>): [string, string] | undefined {
  let best: [string, string] | undefined;
  for (const [from, to] of Object.entries(map)) {
    if (value.startsWith(from) && (!best || from.length > best[0].length)) best = [from, to];
  }
  return best;
}

/** The `mirrors.urls` rule that applies to an upstream URL: [upstream prefix, mirror prefix]. */
export function mirrorRule(url: string, config: Pick<Config, 'mirrors'>): [string, string] | undefined {
  return longestPrefix(url, config.mirrors.urls);
}

/** `"https://up/" → "http://mirror/"`, credentials redacted: how errors name a rule. */
export function describeRule(rule: [string, string]): string {
  return `mirrors.urls "${redactUrl(rule[0])}" → "${redactUrl(rule[1])}"`;
}

/** The mirror URL for an upstream URL, or undefined when no rule matches. */
export function mirrorUrl(url: string, config: Pick<Config, 'mirrors'>): string | undefined {
  const rule = mirrorRule(url, config);
  return rule ? rule[1] + url.slice(rule[0].length) : undefined;
}

/**
 * URLs to try, in order: upstream then mirror (prefer=upstream), mirror then
 * upstream (prefer=mirror), or the mirror alone (prefer=mirror-only).
 */
export function candidateUrls(url: string, config: Pick<Config, 'mirrors' | 'prefer'>): string[] {
  const mirror = mirrorUrl(url, config);
  if (!mirror || mirror === url) return [url];
  if (config.prefer === 'mirror-only') return [mirror];
  return config.prefer === 'mirror' ? [mirror, url] : [url, mirror];
}

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Under prefer=mirror-only: the rule whose upstream host `url` would contact,
 * or undefined when the URL may be fetched. Hosts that are mirrors themselves
 * are never forbidden.
 */
export function forbiddenUpstream(url: string, config: Pick<Config, 'mirrors' | 'prefer'>): [string, string] | undefined {
  if (config.prefer !== 'mirror-only') return undefined;
  const origin = originOf(url);
  if (!origin) return undefined;
  const mirrors = new Set(Object.values(config.mirrors.urls).map(originOf));
  if (mirrors.has(origin)) return undefined;
  return Object.entries(config.mirrors.urls).find(([from]) => originOf(from) === origin);
}

/** The mirror reference for an upstream image (`gcr.io/distroless/static:latest` → `cistio/distroless-static:latest`). */
export function mirrorImage(ref: string, config: Pick<Config, 'mirrors'>): string | undefined {
  const rule = longestPrefix(ref, config.mirrors.images);
  return rule ? rule[1] + ref.slice(rule[0].length) : undefined;
}

/** How a plan shows a download: the URLs that will be tried, in order (credentials redacted). */
export function describeUrl(url: string, config: Pick<Config, 'mirrors' | 'prefer'>): string {
  const urls = candidateUrls(url, config).map(redactUrl);
  return urls.join(' (else ') + ')'.repeat(urls.length - 1);
}
