/** Local image operations through the docker CLI (which honours DOCKER_HOST and contexts). */
import type { Context } from '../engine/context.js';
import { DevenvError } from '../platform/errors.js';

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
  ctx.log(`pulling ${ref}`);
  const r = await ctx.exec('docker', ['pull', ref], { timeoutMs });
  if (r.timedOut) throw new DevenvError(`docker pull ${ref}: no answer within ${Math.round((timeoutMs ?? 0) / 1000)}s`, { suggestions: [DAEMON_PROXY_HINT] });
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
