/** Where HUB and TAG come from: the environment, the checkout's .env, or .istiorc.mk. */
import fs from 'node:fs/promises';
import path from 'node:path';
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
    try {
      dotenv = parseDotenv(await fs.readFile(path.join(ctx.root, '.env'), 'utf8'));
    } catch {
      // no .env
    }
    try {
      rc = parseMakeVars(await fs.readFile(path.join(ctx.root, '.istiorc.mk'), 'utf8'), '.istiorc.mk');
    } catch {
      // no .istiorc.mk
    }
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
