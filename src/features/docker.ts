/** Shared Docker probes (the CLI honours DOCKER_HOST and docker contexts itself). */
import type { Context } from '../engine/context.js';
import type { ExecResult } from '../platform/exec.js';

export type DaemonState =
  | { state: 'ok'; serverVersion: string; clientVersion?: string; endpoint: string; apiVersion?: string }
  | { state: 'no-cli' }
  | { state: 'not-running'; endpoint: string; message: string }
  | { state: 'permission-denied'; endpoint: string; message: string }
  | { state: 'error'; endpoint: string; message: string };

/** Where the CLI will connect: DOCKER_HOST, else the current context's endpoint. */
export async function dockerEndpoint(ctx: Context, docker: string): Promise<string> {
  if (ctx.env.DOCKER_HOST) return ctx.env.DOCKER_HOST;
  const r = await ctx.exec(docker, ['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], { timeoutMs: 5000 });
  return r.ok && r.stdout.trim() ? r.stdout.trim() : 'unix:///var/run/docker.sock';
}

export function classifyDockerError(r: ExecResult): 'not-running' | 'permission-denied' | 'error' {
  const text = `${r.stderr}\n${r.stdout}`;
  if (/permission denied/i.test(text)) return 'permission-denied';
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|no such file or directory|connection refused|error during connect/i.test(text)) {
    return 'not-running';
  }
  return 'error';
}

/** Probes the daemon once per run; concurrent checks share the answer. */
export function probeDaemon(ctx: Context): Promise<DaemonState> {
  return ctx.memo('docker-daemon', async () => {
    const docker = await ctx.which('docker');
    if (!docker) return { state: 'no-cli' };
    const [r, endpoint] = await Promise.all([
      ctx.exec(docker, ['version', '--format', '{{json .}}']),
      dockerEndpoint(ctx, docker),
    ]);
    let parsed: { Client?: { Version?: string }; Server?: { Version?: string; ApiVersion?: string } | null } = {};
    try {
      parsed = JSON.parse(r.stdout.trim().split('\n')[0] || '{}');
    } catch {
      // not JSON: older CLI or an error
    }
    if (r.ok && parsed.Server?.Version) {
      return {
        state: 'ok',
        serverVersion: parsed.Server.Version,
        apiVersion: parsed.Server.ApiVersion,
        clientVersion: parsed.Client?.Version,
        endpoint,
      };
    }
    const message = (r.stderr || r.stdout).trim().split('\n').filter(Boolean).slice(-1)[0] ?? `docker version exited ${r.exitCode}`;
    return { state: classifyDockerError(r), endpoint, message };
  });
}
