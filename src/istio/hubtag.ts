/** Where HUB and TAG come from: the environment, the checkout's .env, or .istiorc.mk. */
import path from 'node:path';
import { readTextCapped } from '../platform/files.js';
import type { IstioContext as Context } from './project.js';
import { get, parseDotenv } from '../platform/dotenv.js';
import { parseMakeVars } from './makefile.js';

export interface Setting {
  name: 'HUB' | 'TAG';
  value: string;
  /** `env HUB`, `.env:3`, `.istiorc.mk:2` */
  source: string;
}

export async function readHubTag(ctx: Context): Promise<{ HUB?: Setting; TAG?: Setting }> {
  const out: { HUB?: Setting; TAG?: Setting } = {};
  let dotenv: ReturnType<typeof parseDotenv> | undefined;
  let rc: ReturnType<typeof parseMakeVars> = [];
  if (ctx.root) {
    // Absent: not used. Unreadable or oversized: an error naming the file (never "not set").
    const env = await readTextCapped(path.join(ctx.root, '.env'));
    if (env !== undefined) dotenv = parseDotenv(env);
    const mk = await readTextCapped(path.join(ctx.root, '.istiorc.mk'));
    if (mk !== undefined) rc = parseMakeVars(mk, '.istiorc.mk');
  }
  for (const name of ['HUB', 'TAG'] as const) {
    const env = ctx.env[name];
    if (env !== undefined && env !== '') {
      out[name] = { name, value: env, source: `env ${name}` };
      continue;
    }
    const d = dotenv && get(dotenv, name);
    if (d) {
      out[name] = { name, value: d.value, source: `.env:${d.line}` };
      continue;
    }
    const r = rc.find((v) => v.name === name);
    if (r) out[name] = { name, value: r.value, source: `.istiorc.mk:${r.line}` };
  }
  return out;
}
