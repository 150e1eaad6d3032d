/**
 * The project adapter: how the engine finds an Istio checkout and what facts
 * checks receive as `ctx.project`. Checks type themselves with IstioCheck.
 */
import type { Check } from '../engine/check.js';
import type { Context, Env, ProjectAdapter } from '../engine/context.js';
import { exec } from '../platform/exec.js';
import { readIstioFacts, type IstioFacts } from './facts.js';
import { findIstioRoot } from './gomod.js';

export type IstioContext = Context<IstioFacts>;
export type IstioCheck = Check<IstioFacts>;

/** The tag HEAD sits on (`git describe --tags --exact-match`), or undefined. */
async function exactTag(root: string, env: Env): Promise<string | undefined> {
  const r = await exec('git', ['-C', root, 'describe', '--tags', '--exact-match', 'HEAD'], { env: { ...env, GIT_OPTIONAL_LOCKS: '0' }, timeoutMs: 5_000 });
  const tag = r.ok ? r.stdout.trim() : '';
  return tag && !tag.includes('\n') ? tag : undefined;
}

export const istioProject: ProjectAdapter<IstioFacts> = {
  kind: 'istio',
  findRoot: findIstioRoot,
  async read(root, env) {
    const [facts, tag] = await Promise.all([readIstioFacts(root), exactTag(root, env)]);
    // A tagged checkout is that release, whatever the Makefile's VERSION ?= says (1.4.2 says 1.4-dev).
    if (tag) facts.version = { value: tag.replace(/^v/, ''), file: 'git describe --tags --exact-match', line: 0 };
    return facts;
  },
  version: (facts) => facts.version?.value ?? null,
};
