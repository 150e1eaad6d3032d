import type { Check, CheckResult } from '../src/core/check.js';
import { probeDaemon } from '../src/core/docker.js';
import { manualStep } from '../src/core/steps.js';

export const dockerDaemon = {
  id: 'docker-daemon',
  title: 'Docker daemon',
  category: 'docker',
  description: 'The docker CLI is installed and its daemon answers (honouring DOCKER_HOST and the current docker context).',
  fixDescription: 'Prints how to install the CLI, start the daemon, or get access to its socket.',
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
          hint: ctx.platform === 'darwin' ? 'Install Docker Desktop: brew install --cask docker' : 'Install Docker: sudo apt-get install docker.io (or your distribution\'s docker package)',
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
              : ctx.env.DOCKER_HOST
                ? `Nothing answers at DOCKER_HOST=${ctx.env.DOCKER_HOST}: start that daemon or unset DOCKER_HOST.`
                : 'Start it: sudo systemctl start docker (or sudo service docker start)',
          details: [s.message],
        };
      default:
        return { status: 'fail', summary: `docker version failed: ${s.message}`, found: 'error', details: [`endpoint ${s.endpoint}`] };
    }
  },
  async fix(ctx, result) {
    if (result.found === 'missing') {
      return { steps: [manualStep(ctx.platform === 'darwin' ? 'brew install --cask docker' : 'sudo apt-get install -y docker.io')] };
    }
    if (result.found === 'no access') {
      return {
        notes: ['Group membership takes effect after you log out and back in.'],
        steps: [manualStep('sudo usermod -aG docker "$USER"'), manualStep('newgrp docker')],
      };
    }
    return { steps: [manualStep(ctx.platform === 'darwin' ? 'open -a Docker' : 'sudo systemctl start docker')] };
  },
} satisfies Check;
