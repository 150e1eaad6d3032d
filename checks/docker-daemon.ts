import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult, FixPlan, FixStep } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { probeDaemon } from '../src/features/docker.js';
import { DevenvError } from '../src/platform/errors.js';
import { installSteps } from '../src/features/pkgmgr.js';
import { actionStep, execStep, manualStep } from '../src/features/steps.js';

/** Polls `docker version` until the daemon answers, bounded by docker.startTimeoutMs. */
function waitStep(ctx: Context): FixStep {
  const limit = ctx.config.docker.startTimeoutMs ?? 60_000;
  return actionStep('wait', `wait up to ${Math.round(limit / 1000)}s for the Docker daemon to answer`, async (c) => {
    const deadline = Date.now() + limit;
    let last = '';
    while (Date.now() < deadline) {
      const r = await c.exec('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 });
      if (r.ok && r.stdout.trim()) return;
      last = (r.stderr || r.stdout).trim().split('\n').slice(-1)[0] ?? '';
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new DevenvError(`the Docker daemon did not answer within ${Math.round(limit / 1000)}s${last ? `: ${last}` : ''}`);
  });
}

async function startPlan(ctx: Context): Promise<FixPlan> {
  const configured = ctx.config.docker.startCommand;
  if (configured) {
    return { steps: [execStep(configured[0], configured.slice(1), { timeoutMs: ctx.config.docker.startTimeoutMs ?? 60_000 }), waitStep(ctx)] };
  }
  if (ctx.env.DOCKER_HOST) {
    return {
      notes: [`DOCKER_HOST=${ctx.env.DOCKER_HOST} points at a daemon devenv does not know how to start.`],
      steps: [manualStep('start the daemon that serves DOCKER_HOST, or unset DOCKER_HOST to use the local one'), manualStep('or set docker.startCommand in the devenv config')],
    };
  }
  if (ctx.platform === 'darwin') return { steps: [execStep('open', ['-a', 'Docker']), waitStep(ctx)] };
  const sudo = ctx.isRoot ? [] : ['sudo'];
  const cmd = (args: string[]) => (sudo.length ? execStep('sudo', args, { consent: true }) : execStep(args[0], args.slice(1), { consent: true }));
  let systemd = false;
  try {
    await ctx.fs.access('/run/systemd/system');
    systemd = true;
  } catch {
    // no systemd
  }
  if (systemd && (await ctx.which('systemctl'))) return { steps: [cmd(['systemctl', 'start', 'docker']), waitStep(ctx)] };
  if (await ctx.which('service')) return { steps: [cmd(['service', 'docker', 'start']), waitStep(ctx)] };
  return { steps: [manualStep('start dockerd with your init system (no systemd or service command found)')] };
}

export const dockerDaemon = {
  id: 'docker-daemon',
  title: 'Docker daemon',
  category: 'docker',
  description: 'The docker CLI is installed and its daemon answers (honouring DOCKER_HOST and the current docker context).',
  fixDescription:
    'Starts the daemon (docker.startCommand, else systemctl/service on Linux, open -a Docker on macOS) and waits until it answers; installs the CLI with the package manager; for a permission error, adds you to the docker group (asks first).',
  async run(ctx): Promise<CheckResult> {
    const s = await probeDaemon(ctx);
    switch (s.state) {
      case 'ok':
        return {
          status: 'ok',
          summary: `Docker ${s.serverVersion} answering at ${s.endpoint}`,
          found: `server ${s.serverVersion}${s.clientVersion ? `, client ${s.clientVersion}` : ''}`,
          details: [`endpoint ${s.endpoint}`, ...(s.apiVersion ? [`API ${s.apiVersion}`] : [])],
        };
      case 'no-cli':
        return {
          status: 'fail',
          summary: 'docker CLI not found on PATH',
          found: 'missing',
          hint: ctx.platform === 'darwin' ? 'Install Docker Desktop: brew install --cask docker' : "Install Docker: devenv fix docker-daemon (or your distribution's docker package)",
        };
      case 'permission-denied':
        return {
          status: 'fail',
          summary: `permission denied on the Docker socket ${s.endpoint}`,
          found: 'no access',
          hint: 'Add yourself to the docker group: sudo usermod -aG docker $USER, then log out and back in (or run `newgrp docker`).',
          details: [s.message],
        };
      case 'not-running':
        return {
          status: 'fail',
          summary: `Docker daemon not running at ${s.endpoint}`,
          found: 'not running',
          hint:
            ctx.platform === 'darwin'
              ? 'Start Docker Desktop: open -a Docker'
              : ctx.env.DOCKER_HOST && !ctx.config.docker.startCommand
                ? `Nothing answers at DOCKER_HOST=${ctx.env.DOCKER_HOST}: start that daemon or unset DOCKER_HOST.`
                : 'Start it: devenv fix docker-daemon (sudo systemctl start docker)',
          details: [s.message],
        };
      default:
        return { status: 'fail', summary: `docker version failed: ${s.message}`, found: 'error', details: [`endpoint ${s.endpoint}`] };
    }
  },
  async fix(ctx, result) {
    if (result.found === 'missing') {
      if (ctx.platform === 'darwin') return { steps: [execStep('brew', ['install', '--cask', 'docker'], { consent: true })] };
      return { steps: await installSteps(ctx, 'docker') };
    }
    if (result.found === 'no access') {
      const user = ctx.env.USER ?? ctx.env.LOGNAME ?? '$USER';
      return {
        notes: ['Group membership takes effect in new login sessions: log out and back in (or run `newgrp docker` in this shell).'],
        steps: [execStep('sudo', ['usermod', '-aG', 'docker', user], { consent: true }), manualStep('log out and back in, or: newgrp docker')],
      };
    }
    return startPlan(ctx);
  },
} satisfies IstioCheck;
