/**
 * Before `go mod download`: does the Go module proxy answer at all? Without a
 * route out, go tries every module of go.mod in turn (153 on 1.4.2: ~45 s of
 * DNS failures here) before it fails; one probe of the proxy says the same in
 * about a second, with what to do instead.
 */
import type { Context } from '../engine/context.js';
import { createDownloader } from '../platform/download.js';
import { DevenvError } from '../platform/errors.js';
import { redactUrl } from '../platform/redact.js';

/**
 * The proxy go asks first, when its failure ends the download: GOPROXY's first
 * entry, when it is an http(s) URL followed by `,` or nothing (`|` makes go try
 * the next entry on any error, `direct`/`off`/`file://` need no probe).
 */
export function firstGoProxy(goproxy: string): string | undefined {
  const m = /^\s*([^,|\s]+)\s*([,|])?/.exec(goproxy);
  if (!m || m[2] === '|') return undefined;
  return /^https?:\/\//i.test(m[1]) ? m[1] : undefined;
}

/** GOPROXY as go sees it with `env` (`go env GOPROXY`: the environment, then go's own env file, then its default). */
export async function effectiveGoProxy(ctx: Context, go: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  if (env.GOPROXY !== undefined && env.GOPROXY !== '') return env.GOPROXY;
  const r = await ctx.exec(go, ['env', 'GOPROXY'], { env, timeoutMs: 10_000 });
  return r.ok ? r.stdout.trim() : undefined;
}

/** An error naming the proxy when it does not answer within network.reachTimeoutMs; undefined when it answers or needs no probe. */
export async function unreachableGoProxy(ctx: Context, goproxy: string | undefined): Promise<DevenvError | undefined> {
  const first = goproxy ? firstGoProxy(goproxy) : undefined;
  if (!first || ctx.config.network.offline) return undefined;
  const p = await createDownloader(ctx.config, undefined, { env: ctx.env }).probe(first, { timeoutMs: ctx.config.network.reachTimeoutMs, signal: ctx.signal });
  if (p.status !== undefined || p.refused) return undefined; // any HTTP answer will do; a refusal is devenv's own policy, not the network
  return new DevenvError(
    `go mod download needs the Go module proxy ${redactUrl(first)} (GOPROXY), which does not answer${p.via ? ` via proxy ${p.via}` : ''}: ${p.error}; go was not run`,
    {
      suggestions: [
        'Set go.proxy in the devenv config to a Go module mirror you can reach, e.g. {"go": {"proxy": "https://goproxy.example.com"}}',
        'or, on a machine with a network, devenv bundle create --include go-modules, then devenv bundle load here',
      ],
    },
  );
}
