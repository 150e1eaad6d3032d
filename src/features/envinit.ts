/**
 * `devenv env init`: writes HUB and TAG into the checkout's `.istiorc.mk`,
 * which the Makefile of every Istio line (1.1 to master) `-include`s — so
 * make sees them — keeping every other byte. (Make never reads `.env`.)
 */
import { suggestedTag } from '../istio/facts.js';
import path from 'node:path';
import { createContext, type ContextOptions } from '../engine/context.js';
import type { IstioFacts } from '../istio/facts.js';
import { istioProject } from '../istio/project.js';
import { readHubTag } from '../istio/hubtag.js';
import { findAssignment, setRcValues } from '../istio/istiorc.js';
import { UsageError } from '../platform/errors.js';
import { copyAtomic, exists, writeAtomic } from '../platform/files.js';
import fs from 'node:fs/promises';
import { repositoryError, tagError } from '../platform/reference.js';

export interface EnvInitOptions extends ContextOptions<IstioFacts> {
  hub?: string;
  tag?: string;
  /** Asks for a value (interactive runs only). */
  ask?: (name: 'HUB' | 'TAG', def: string | undefined, validate: (v: string) => string | true) => Promise<string>;
  /** Asks before an existing value is changed (interactive runs only). */
  confirm?: (message: string) => Promise<boolean>;
  say: (line: string) => void;
}

const validators = {
  HUB: (v: string) => (repositoryError(v) ? `not a valid image repository: ${repositoryError(v)}` : true),
  TAG: (v: string) => (tagError(v) ? `not a valid image tag: ${tagError(v)}` : true),
} as const;

export async function envInit(opts: EnvInitOptions): Promise<number> {
  const ctx = await createContext({ project: istioProject, ...opts });
  if (!ctx.root) throw new UsageError(`not in an Istio checkout (${ctx.cwd}): .istiorc.mk belongs at the checkout root`, ['Run it inside the checkout, or pass --dir PATH.']);
  for (const [name, v] of [['HUB', opts.hub], ['TAG', opts.tag]] as const) {
    if (v !== undefined) {
      const ok = validators[name](v);
      if (ok !== true) throw new UsageError(`--${name.toLowerCase()} ${v}: ${ok}`);
    }
  }
  const interactive = Boolean(opts.ask);
  if (!interactive && opts.hub === undefined && opts.tag === undefined) {
    throw new UsageError('nothing to do: no --hub or --tag given, and no terminal to ask on; .istiorc.mk was not touched', [
      'devenv env init --hub docker.io/<you> --tag 1.4-dev',
      'or run devenv env init in a terminal to be asked',
    ]);
  }
  const file = path.join(ctx.root, '.istiorc.mk');
  const had = await exists(file);
  // latin1: one char per byte, so bytes that are not UTF-8 in other lines survive untouched.
  const original = had ? await fs.readFile(file, 'latin1') : '';
  const lines = original.split('\n');
  const seen = await readHubTag(ctx);
  const values: { name: string; value: string }[] = [];
  for (const name of ['HUB', 'TAG'] as const) {
    const current = findAssignment(lines, name);
    const suggestion = current?.value ?? seen[name]?.value ?? seen.dotenv[name]?.value ?? (name === 'TAG' ? suggestedTag(ctx.projectVersion) : undefined);
    let value = name === 'HUB' ? opts.hub : opts.tag;
    if (value === undefined && opts.ask) value = await opts.ask(name, suggestion, validators[name]);
    if (value === undefined || value === current?.value) continue;
    if (current && opts.confirm && !(await opts.confirm(`.istiorc.mk:${current.index + 1} has ${name} ${current.op} ${current.value}. Change it to ${value}?`))) {
      opts.say(`kept ${name}=${current.value}`);
      continue;
    }
    values.push({ name, value });
  }
  const edit = setRcValues(original, values);
  if (edit.changed.length === 0) {
    opts.say(`${file}: nothing changed`);
    return 0;
  }
  for (const c of edit.changed) opts.say(`${c.name}=${c.value}${c.was !== undefined ? ` (was ${c.was})` : ''} at .istiorc.mk:${c.line}`);
  if (had) {
    await copyAtomic(file, `${file}.devenv-backup`);
    await writeAtomic(file, Buffer.from(edit.text, 'latin1'));
    opts.say(`wrote ${file} (previous version: ${file}.devenv-backup)`);
  } else {
    await writeAtomic(file, Buffer.from(edit.text, 'latin1'));
    opts.say(`wrote ${file}`);
  }
  const env = (['HUB', 'TAG'] as const).filter((n) => ctx.env[n] && edit.changed.some((c) => c.name === n));
  if (env.length) opts.say(`note: ${env.join(' and ')} ${env.length > 1 ? 'are' : 'is'} also set in your environment, which wins over \`?=\` in .istiorc.mk`);
  opts.say('make reads .istiorc.mk on every Istio line: nothing to source.');
  return 0;
}
