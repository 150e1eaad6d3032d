/** Mirror rewriting for URLs and image references, from `mirrors.*` and `prefer`. */
import type { Config } from './config.js';

function longestPrefix(value: string, map: Record<string, string>): [string, string] | undefined {
  let best: [string, string] | undefined;
  for (const [from, to] of Object.entries(map)) {
    if (value.startsWith(from) && (!best || from.length > best[0].length)) best = [from, to];
  }
  return best;
}

/** The mirror URL for an upstream URL, or undefined when no rule matches. */
export function mirrorUrl(url: string, config: Pick<Config, 'mirrors'>): string | undefined {
  const rule = longestPrefix(url, config.mirrors.urls);
  return rule ? rule[1] + url.slice(rule[0].length) : undefined;
}

/** URLs to try, in order: upstream then mirror, or mirror then upstream with prefer=mirror. */
export function candidateUrls(url: string, config: Pick<Config, 'mirrors' | 'prefer'>): string[] {
  const mirror = mirrorUrl(url, config);
  if (!mirror || mirror === url) return [url];
  return config.prefer === 'mirror' ? [mirror, url] : [url, mirror];
}

/** The mirror reference for an upstream image (`gcr.io/distroless/static:latest` → `cistio/distroless-static:latest`). */
export function mirrorImage(ref: string, config: Pick<Config, 'mirrors'>): string | undefined {
  const rule = longestPrefix(ref, config.mirrors.images);
  return rule ? rule[1] + ref.slice(rule[0].length) : undefined;
}

/** How a plan shows a download: the URLs that will be tried, in order. */
export function describeUrl(url: string, config: Pick<Config, 'mirrors' | 'prefer'>): string {
  return candidateUrls(url, config).join(' (else ') + ')'.repeat(candidateUrls(url, config).length - 1);
}
