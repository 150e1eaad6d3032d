/** Local image operations through the docker CLI (which honours DOCKER_HOST and contexts). */
import path from 'node:path';
import type { Context } from '../engine/context.js';
import { DevenvError } from '../platform/errors.js';
import { formatCommand } from '../platform/exec.js';
import { writeAtomic } from '../platform/files.js';

export interface LocalImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
}

/** The local image a reference resolves to, or undefined when it is absent. */
export async function inspectImage(ctx: Context, ref: string): Promise<LocalImage | undefined> {
  const r = await ctx.exec('docker', ['image', 'inspect', '--format', '{{json .Id}} {{json .RepoTags}} {{json .RepoDigests}}', ref]);
  if (!r.ok) {
    if (/no such image|not found/i.test(r.stderr)) return undefined;
    throw dockerError(`docker image inspect ${ref}`, r.stderr || r.stdout);
  }
  const [id, tags, digests] = r.stdout.trim().split(' ');
  return { id: JSON.parse(id), repoTags: JSON.parse(tags) ?? [], repoDigests: JSON.parse(digests) ?? [] };
}

/** Pulls are made by the daemon, which does not read the shell's HTTPS_PROXY. */
export const DAEMON_PROXY_HINT =
  'The Docker daemon pulls with its own network settings, not your shell\'s HTTPS_PROXY: give it a proxy ("proxies" in /etc/docker/daemon.json, or a systemd drop-in setting HTTPS_PROXY for docker.service), restart it, then run the fix again.';

export function dockerError(what: string, stderr: string): DevenvError {
  const msg = stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'failed';
  const hint: string[] = [];
  if (/Cannot connect to the Docker daemon|connection refused|no such file/i.test(msg)) hint.push('The Docker daemon went away: devenv doctor --only docker-daemon');
  if (/no space left on device/i.test(msg)) hint.push('The disk is full: free space (docker system df shows what images use), then run the fix again.');
  if (/manifest unknown|not found|does not exist|pull access denied/i.test(msg)) hint.push('The mirror has no such image: check mirrors.images in the devenv config.');
  if (/i\/o timeout|TLS handshake timeout|deadline exceeded|Client\.Timeout|proxyconnect/i.test(msg)) hint.push(DAEMON_PROXY_HINT);
  return new DevenvError(`${what}: ${msg}`, { suggestions: hint });
}

export async function pull(ctx: Context, ref: string, timeoutMs?: number): Promise<void> {
  if (ctx.config.network.offline) {
    // --offline promises that no host is contacted, and a pull makes the daemon contact one.
    throw new DevenvError(`offline: not pulling ${ref} (--offline / network.offline contacts no host, and docker pull would)`, {
      suggestions: ['Load the image from a devenv bundle (devenv bundle load) or `docker load`, or run without --offline.'],
    });
  }
  ctx.log(`pulling ${ref}`);
  // Every pull is bounded: the caller's limit (upstream tries), else images.pullTimeoutMs (a mirror that stops answering mid-pull).
  const limit = timeoutMs ?? ctx.config.images.pullTimeoutMs;
  const key = timeoutMs === undefined ? 'images.pullTimeoutMs' : 'images.upstreamTimeoutMs';
  const r = await ctx.exec('docker', ['pull', ref], { timeoutMs: limit });
  if (r.timedOut) {
    throw new DevenvError(`docker pull ${ref}: did not finish within ${Math.round(limit / 1000)}s (${key}) and was stopped`, {
      suggestions: [DAEMON_PROXY_HINT, `Raise ${key} in the devenv config if the registry is merely slow.`],
    });
  }
  if (!r.ok) throw dockerError(`docker pull ${ref}`, r.stderr || r.stdout);
}

export async function tag(ctx: Context, source: string, target: string): Promise<void> {
  const r = await ctx.exec('docker', ['tag', source, target]);
  if (!r.ok) throw dockerError(`docker tag ${source} ${target}`, r.stderr || r.stdout);
}

/** Removes one tag (never -f, never an image ID). */
export async function untag(ctx: Context, ref: string): Promise<void> {
  const r = await ctx.exec('docker', ['rmi', ref]);
  if (!r.ok) throw dockerError(`docker rmi ${ref}`, r.stderr || r.stdout);
}

/** The repository part of a reference: `reg:5000/a/b:tag` → `reg:5000/a/b`. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}

/** The manifest digest a local image was pulled with from `repository`, if any. */
export function digestIn(image: LocalImage, repository: string): string | undefined {
  const hit = image.repoDigests.find((d) => d.startsWith(repository + '@'));
  return hit?.slice(hit.indexOf('@') + 1);
}

/** Where an image can come from: the reference itself (upstream), a mirror, or an alternate registry. */
export interface ImageSource {
  ref: string;
  /** "upstream", "mirror", "gcr.io/istio-testing (same tag)"… for messages. */
  label: string;
  /** A bound on the pull (e.g. images.upstreamTimeoutMs for an upstream that may be blocked). */
  timeoutMs?: number;
  /** Logged when this source is the one used. */
  note?: string;
  /** For a mirror: the upstream reference it stands in for. */
  standsFor?: string;
}

export interface ProvideOptions {
  /** The reference the build uses (a tag, or repo@sha256:… when pinned). */
  target: string;
  sources: ImageSource[];
  /** The manifest digest the pulled image must have (images.digests, or the target's own pin). */
  digest?: string;
}

/** How a plan shows provideImage: exactly what it will try. */
export function describeProvide(o: ProvideOptions): string {
  const pinned = o.target.includes('@');
  const tries = o.sources.map((s) => {
    const parts = [
      `${formatCommand('docker', ['pull', s.ref])}${s.timeoutMs ? ` (give up after ${Math.round(s.timeoutMs / 1000)}s)` : ''}`,
      ...(o.digest ? [`verify digest ${o.digest}`] : []),
      ...(s.ref === o.target || pinned
        ? []
        : [formatCommand('docker', ['tag', s.ref, o.target]), `verify ${o.target} is the pulled image ID`, `${formatCommand('docker', ['rmi', s.ref])} (only if devenv pulled it)`]),
    ];
    return parts.join('; ');
  });
  return tries.join(', else: ') + '. A local copy of a source is used as it is (never re-pulled, so no tag of yours moves).';
}

/**
 * Makes `target` present in the local engine from the first source that has
 * it. Nothing the user had is moved or left dangling: a source tag that is
 * already local is used as it is (pulling it again could re-point it), the
 * target tag is created only when absent (or already the same image), and a
 * source tag is removed only when this call created it and the target tag now
 * holds the image. A digest-pinned target cannot be tagged (Docker tags carry
 * no digest): its content is pulled by that digest and kept under the source
 * name.
 */
export async function provideImage(ctx: Context, o: ProvideOptions): Promise<ImageSource & { id: string }> {
  const failures: string[] = [];
  const hints: string[] = [];
  const pinnedTarget = o.target.includes('@');
  for (const s of o.sources) {
    try {
      const had = await inspectImage(ctx, s.ref);
      if (had) ctx.log(`${s.ref} is already in the local engine: using it as it is`);
      else await pull(ctx, s.ref, s.timeoutMs);
      const got = had ?? (await inspectImage(ctx, s.ref));
      if (!got) throw new DevenvError(`${s.ref} was pulled but is not in the local engine`);
      if (o.digest) {
        const d = digestIn(got, repositoryOf(s.ref));
        if (d !== o.digest) {
          if (!had && !pinnedTarget) await untag(ctx, s.ref);
          throw new DevenvError(`refusing ${s.ref} for ${o.target}: its digest is ${d ?? 'unknown'}, not ${o.digest}; nothing was retagged`, {
            suggestions: ['Check the mirror, or update images.digests if the new digest is the one you want.'],
          });
        }
      }
      if (s.ref !== o.target && !pinnedTarget) {
        const existing = await inspectImage(ctx, o.target);
        if (existing && existing.id !== got.id) {
          throw new DevenvError(`${o.target} already names another image (${existing.id}); devenv does not move it. ${s.ref} is ${got.id}.`, {
            suggestions: [`If you want the image from ${s.label}: docker tag ${s.ref} ${o.target}`],
          });
        }
        if (!existing) await tag(ctx, s.ref, o.target);
        const tagged = await inspectImage(ctx, o.target);
        if (!tagged || tagged.id !== got.id) {
          throw new DevenvError(`after tagging, ${o.target} resolves to ${tagged?.id ?? 'nothing'}, not the pulled ${got.id}; ${s.ref} was kept`);
        }
        // Only now is the source tag redundant, and only if this call created it.
        if (!had) await untag(ctx, s.ref);
      }
      if (s.note) ctx.log(s.note);
      return { ...s, id: got.id };
    } catch (err) {
      if (err instanceof DevenvError && /^refusing |already names another image|after tagging/.test(err.message)) throw err;
      const message = (err as Error).message;
      // Why first, then which source: a long line cut short on a terminal still says why. The reference is
      // named once (the daemon's own prefix and the command are noise here).
      const why = message.replace(`docker pull ${s.ref}: `, '').replace(/^Error response from daemon: /, '');
      failures.push(`${why} (${s.label}${s.ref === o.target ? '' : ` ${s.ref}`})`);
      if (err instanceof DevenvError) hints.push(...err.suggestions);
      ctx.log(`${s.ref} unavailable (${message})`);
    }
  }
  throw new DevenvError(`could not get ${o.target}: ${failures.join('; ')}`, {
    suggestions: [...new Set([...hints, 'Add or fix a mirrors.images rule in the devenv config for a registry you can reach.'])],
  });
}

export interface ImageOrigin {
  /** The image ID the target named when devenv placed it. */
  id: string;
  /** The reference it was pulled as. */
  from: string;
  /** The upstream reference that source stands for (differs from `from` for a mirror). */
  standsFor?: string;
  /** What devenv said about it (e.g. the istio/istio#61589 fallback). */
  note?: string;
}

function originsFile(ctx: Context): string {
  return path.join(ctx.paths.data, 'image-origins.json');
}

async function readOrigins(ctx: Context): Promise<Record<string, ImageOrigin>> {
  try {
    const parsed = JSON.parse(await ctx.fs.readFile(originsFile(ctx), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, ImageOrigin>) : {};
  } catch {
    return {};
  }
}

/** Remembers where devenv got `target` from, so later checks can say it (one writer: the build-tools fix). */
export async function recordImageOrigin(ctx: Context, target: string, origin: ImageOrigin): Promise<void> {
  const all = await readOrigins(ctx);
  all[target] = origin;
  await ctx.fs.mkdir(ctx.paths.data, { recursive: true });
  await writeAtomic(originsFile(ctx), JSON.stringify(all, null, 2) + '\n');
}

/** Where devenv got `target` from, if it placed the image `target` names now. */
export async function imageOrigin(ctx: Context, target: string, id: string): Promise<ImageOrigin | undefined> {
  const o = (await readOrigins(ctx))[target];
  return o && o.id === id ? o : undefined;
}
