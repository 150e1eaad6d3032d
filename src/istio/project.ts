/**
 * The project adapter: how the engine finds an Istio checkout and what facts
 * checks receive as `ctx.project`. Checks type themselves with IstioCheck.
 */
import type { Check } from '../engine/check.js';
import type { Context, ProjectAdapter } from '../engine/context.js';
import { readIstioFacts, type IstioFacts } from './facts.js';
import { findIstioRoot } from './gomod.js';

export type IstioContext = Context<IstioFacts>;
export type IstioCheck = Check<IstioFacts>;

export const istioProject: ProjectAdapter<IstioFacts> = {
  kind: 'istio',
  findRoot: findIstioRoot,
  read: (root) => readIstioFacts(root),
  version: (facts) => facts.version?.value ?? null,
};
