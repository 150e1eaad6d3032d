/** `devenv env init`: writes HUB and TAG into the checkout's .env, keeping everything else byte for byte. */
import { suggestedTag } from '../istio/facts.js';
import path from 'node:path';
import { createContext, type ContextOptions } from '../engine/context.js';
import type { IstioFacts } from '../istio/facts.js';
import { istioProject } from '../istio/project.js';
import { get, parseDotenv, serialize, set } from '../platform/dotenv.js';
import { UsageError } from '../platform/errors.js';
import { copyAtomic, exists, writeAtomic } from '../platform/files.js';
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
  if (!ctx.root) throw new UsageError(`not in an Istio checkout (${ctx.cwd}): .env belongs at the checkout root`, ['Run it inside the checkout, or pass --dir PATH.']);
  for (const [name, v] of [['HUB', opts.hub], ['TAG', opts.tag]] as const) {
    if (v !== undefined) {
      const ok = validators[name](v);
      if (ok !== true) throw new UsageError(`--${name.toLowerCase()} ${v}: ${ok}`);
    }
  }
  const interactive = Boolean(opts.ask);
  if (!interactive && opts.hub === undefined && opts.tag === undefined) {
    throw new UsageError('nothing to do: no --hub or --tag given, and no terminal to ask on; .env was not touched', [
      'devenv env init --hub docker.io/<you> --tag 1.4-dev',
      'or run devenv env init in a terminal to be asked',
    ]);
  }
  const file = path.join(ctx.root, '.env');
  const had = await exists(file);
  const original = had ? await ctx.fs.readFile(file, 'utf8') : '';
  let doc = parseDotenv(original);
  const suggestions = { HUB: ctx.env.HUB, TAG: ctx.env.TAG ?? suggestedTag(ctx.projectVersion) };
  for (const name of ['HUB', 'TAG'] as const) {
    const current = get(doc, name);
    let value = name === 'HUB' ? opts.hub : opts.tag;
    if (value === undefined && opts.ask) value = await opts.ask(name, current?.value ?? suggestions[name], validators[name]);
    if (value === undefined || value === current?.value) continue;
    if (current && opts.confirm && !(await opts.confirm(`.env:${current.line} has ${name}=${current.value}. Change it to ${value}?`))) {
      opts.say(`kept ${name}=${current.value}`);
      continue;
    }
    doc = set(doc, name, value);
    opts.say(`${name}=${value}${current ? ` (was ${current.value})` : ''}`);
  }
  const text = serialize(doc);
  if (text === original) {
    opts.say(`${file}: nothing changed`);
    return 0;
  }
  if (had) {
    await copyAtomic(file, `${file}.devenv-backup`);
    await writeAtomic(file, text);
    opts.say(`wrote ${file} (previous version: ${file}.devenv-backup)`);
  } else {
    await ctx.fs.writeFile(file, text, { mode: 0o644 });
    opts.say(`wrote ${file}`);
  }
  opts.say('Load it into your shell before make: set -a; . ./.env; set +a');
  return 0;
}
