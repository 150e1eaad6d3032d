/**
 * `devenv env init`: writes HUB and TAG into the checkout's `.istiorc.mk`,
 * which the Makefile of every Istio line (1.1 to master) `-include`s — so
 * make sees them — keeping every other byte. (Make never reads `.env`.)
 * Concurrent runs take turns under a lock; writes are atomic and go through
 * a symlink to its target; the backup holds your last version.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createContext, type ContextOptions } from '../engine/context.js';
import { suggestedTag, type IstioFacts } from '../istio/facts.js';
import { readHubTag } from '../istio/hubtag.js';
import { findAssignment, setRcValues } from '../istio/istiorc.js';
import { istioProject } from '../istio/project.js';
import { DevenvError, UsageError } from '../platform/errors.js';
import { copyAtomic, fileError, readBytesCapped, writeAtomic } from '../platform/files.js';
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
      `devenv env init --hub docker.io/<you> --tag ${suggestedTag(ctx.projectVersion) ?? '<version>-dev'}`,
      'or run devenv env init in a terminal to be asked',
    ]);
  }
  const file = path.join(ctx.root, '.istiorc.mk');
  const unlock = await lock(`${file}.devenv-lock`);
  try {
    return await update(file, ctx, opts);
  } finally {
    await unlock();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An O_EXCL lock file holding our pid: concurrent `env init` runs take turns,
 * so none backs up another's half-done state. A lock whose pid is gone is stale.
 */
async function lock(lockFile: string, waitMs = 30_000): Promise<() => Promise<void>> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await fs.open(lockFile, 'wx', 0o644);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => fs.rm(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError('create the lock', lockFile, err);
    }
    const holder = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (holder > 0 && !pidAlive(holder)) {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > until) {
      throw new DevenvError(`${lockFile} is held by another devenv (pid ${holder || 'unknown'}) for more than ${waitMs / 1000}s; .istiorc.mk was not touched`, {
        suggestions: [`If no devenv is running, remove ${lockFile}.`],
      });
    }
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  }
}

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

/** Bytes that are not UTF-8 round-trip: the file is handled as latin1 (one char per byte); HUB and TAG values are ASCII. */
const asText = (b: Buffer) => b.toString('latin1');
const shown = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

async function update(file: string, ctx: Awaited<ReturnType<typeof createContext<IstioFacts>>>, opts: EnvInitOptions): Promise<number> {
  const bytes = await readBytesCapped(file);
  const had = bytes !== undefined;
  const original = had ? asText(bytes) : '';
  const lines = original.split('\n');
  const seen = await readHubTag(ctx);
  const values: { name: string; value: string }[] = [];
  for (const name of ['HUB', 'TAG'] as const) {
    const current = findAssignment(lines, name);
    const suggestion = current?.value ?? seen[name]?.value ?? seen.dotenv[name]?.value ?? (name === 'TAG' ? suggestedTag(ctx.projectVersion) : undefined);
    let value = name === 'HUB' ? opts.hub : opts.tag;
    if (value === undefined && opts.ask) value = await opts.ask(name, suggestion && shown(suggestion), validators[name]);
    if (value === undefined || value === current?.value) continue;
    if (current && opts.confirm && !(await opts.confirm(`.istiorc.mk:${current.index + 1} has ${name} ${current.op} ${shown(current.value)}. Change it to ${value}?`))) {
      opts.say(`kept ${name}=${shown(current.value)}`);
      continue;
    }
    values.push({ name, value });
  }
  const edit = setRcValues(original, values);
  if (edit.changed.length === 0) {
    opts.say(`${file}: nothing changed`);
    return 0;
  }
  for (const c of edit.changed) opts.say(`${c.name}=${c.value}${c.was !== undefined ? ` (was ${shown(c.was)})` : ''} at .istiorc.mk:${c.line}`);
  // Temp file + rename (a kill leaves the old file or the new one, never a part); a symlinked file is written through.
  const out = Buffer.from(edit.text, 'latin1');
  const backup = `${file}.devenv-backup`;
  const record = path.join(ctx.paths.data, 'env-init', `${sha256(file).slice(0, 16)}.json`);
  if (had) {
    // The backup holds your last version, not one devenv wrote: while the file is still exactly what devenv
    // last wrote, the existing backup is kept (so a series of runs, or concurrent ones, never replace it).
    const wrote = await fs.readFile(record, 'utf8').then((t) => (JSON.parse(t) as { wrote?: string }).wrote, () => undefined);
    const keep = wrote === sha256(bytes) && (await fs.stat(backup).then(() => true, () => false));
    if (!keep) await copyAtomic(file, backup);
    await writeAtomic(file, out);
    opts.say(`wrote ${file} (your version before devenv changed it: ${backup})`);
  } else {
    await writeAtomic(file, out, { mode: 0o644 });
    opts.say(`wrote ${file}`);
  }
  await fs.mkdir(path.dirname(record), { recursive: true });
  await writeAtomic(record, JSON.stringify({ file, wrote: sha256(out) }) + '\n');
  const env = (['HUB', 'TAG'] as const).filter((n) => ctx.env[n] && edit.changed.some((c) => c.name === n));
  if (env.length) opts.say(`note: ${env.join(' and ')} ${env.length > 1 ? 'are' : 'is'} also set in your environment, which wins over \`?=\` in .istiorc.mk`);
  opts.say('make reads .istiorc.mk on every Istio line: nothing to source.');
  return 0;
}
