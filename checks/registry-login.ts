import type { IstioCheck } from '../src/istio/project.js';
import path from 'node:path';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { splitRepository } from '../src/platform/reference.js';
import { manualStep } from '../src/features/steps.js';
import { readHubTag } from '../src/istio/hubtag.js';

interface DockerConfig {
  auths?: Record<string, unknown>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export function dockerConfigPath(ctx: Context): string {
  return path.join(ctx.env.DOCKER_CONFIG || path.join(ctx.paths.home, '.docker'), 'config.json');
}

/** The keys docker uses for a registry in config.json. */
export function registryKeys(registry: string): string[] {
  if (registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io') {
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'https://index.docker.io/v1', 'registry-1.docker.io'];
  }
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

export const registryLogin = {
  id: 'registry-login',
  title: 'Registry credentials for HUB',
  category: 'workspace',
  needs: ['hub-tag'],
  description: "The docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json) has credentials for HUB's registry (auths, credHelpers or a credsStore). Credentials are never printed.",
  fixDescription: 'Prints the exact `docker login <registry>` to run (devenv never handles passwords).',
  appliesTo: (ctx) => (ctx.root ? true : 'not in an Istio checkout'),
  async run(ctx): Promise<CheckResult> {
    const read = await readHubTag(ctx);
    // The registry you will push to: what make sees, else what your .env would give it once sourced.
    const HUB = read.HUB ?? read.dotenv.HUB;
    if (!HUB) return { status: 'skip', summary: 'HUB is not set (see hub-tag)' };
    const { registry } = splitRepository(HUB.value);
    const file = dockerConfigPath(ctx);
    let cfg: DockerConfig = {};
    try {
      cfg = JSON.parse(await ctx.fs.readFile(file, 'utf8')) as DockerConfig;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return { status: 'fail', summary: `cannot read ${file}: ${code ?? 'not valid JSON'}`, found: 'unreadable', source: HUB.source, hint: `Check ${file}` };
    }
    const keys = registryKeys(registry);
    const helper = cfg.credHelpers?.[registry];
    if (helper) return { status: 'ok', summary: `credentials for ${registry} come from docker-credential-${helper}`, found: `credHelper ${helper}`, source: HUB.source };
    const auth = keys.find((k) => cfg.auths && k in cfg.auths);
    if (auth && cfg.credsStore) return { status: 'ok', summary: `logged in to ${registry} (credentials in docker-credential-${cfg.credsStore})`, found: 'logged in', source: HUB.source };
    if (auth) return { status: 'ok', summary: `logged in to ${registry} (${file})`, found: 'logged in', source: HUB.source };
    return {
      status: 'warn',
      summary: `no credentials for ${registry} in ${file}`,
      found: 'not logged in',
      required: `credentials for ${registry} (HUB=${HUB.value})`,
      source: HUB.source,
      hint: `docker login${registry === 'docker.io' ? '' : ` ${registry}`}`,
    };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(ctx) {
    const read = await readHubTag(ctx);
    const HUB = read.HUB ?? read.dotenv.HUB;
    const registry = HUB ? splitRepository(HUB.value).registry : 'docker.io';
    return { steps: [manualStep(`docker login${registry === 'docker.io' ? '' : ` ${registry}`}`)] };
  },
} satisfies IstioCheck;
