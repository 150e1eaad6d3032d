/**
 * Where HUB and TAG come from, read the way the build reads them.
 *
 * On every line from 1.1 to master, make sees HUB and TAG from the
 * environment and from `.istiorc.mk` (`-include .istiorc.mk` in Makefile /
 * Makefile.core.mk), never from the checkout's `.env` (1.6+ include
 * `out/.env`, a file setup_env.sh generates, not yours). In `.istiorc.mk` a
 * `?=` assignment yields to the environment; `=`/`:=` override it.
 * `.env` matters only when the person sources it: its values are evaluated
 * by bash, as the shell would, so `HUB=docker.io/$USER` means what it says.
 */
import path from 'node:path';
import type { IstioContext as Context } from './project.js';
import { get, parseDotenv } from '../platform/dotenv.js';
import { readTextFile } from '../platform/files.js';
import { parseMakeVars } from './makefile.js';

export interface Setting {
  name: 'HUB' | 'TAG';
  value: string;
  /** `env HUB`, `.env:3`, `.istiorc.mk:2` */
  source: string;
  /** The value could not be computed here (a make or shell expression): `value` is the raw text. */
  computed?: 'make' | 'shell';
}

export interface HubTag {
  /** What make will see (environment and .istiorc.mk), per name. */
  HUB?: Setting;
  TAG?: Setting;
  /** Values only the checkout's .env sets (make does not read it). */
  dotenv: { HUB?: Setting; TAG?: Setting };
}

/** Runs bash on the .env file (its path an argument, never part of a script) and reads HUB and TAG back. */
async function evalDotenv(ctx: Context, file: string): Promise<{ HUB?: string; TAG?: string } | undefined> {
  const script = 'set -a; . "$1" >/dev/null 2>&1 </dev/null; printf "%s\\0%s\\0%s\\0%s\\0" "${HUB+set}" "${HUB-}" "${TAG+set}" "${TAG-}"';
  const env: Record<string, string | undefined> = { ...ctx.env, HUB: undefined, TAG: undefined };
  const r = await ctx.exec('bash', ['--norc', '--noprofile', '-c', script, 'devenv-dotenv', file], { env, cwd: path.dirname(file), timeoutMs: 5_000 });
  if (!r.ok) return undefined;
  const [hubSet, hub, tagSet, tag] = r.stdout.split('\0');
  return { ...(hubSet ? { HUB: hub } : {}), ...(tagSet ? { TAG: tag } : {}) };
}

export async function readHubTag(ctx: Context): Promise<HubTag> {
  const out: HubTag = { dotenv: {} };
  if (!ctx.root) return out;
  const dotenvFile = path.join(ctx.root, '.env');
  const [dotenvText, rcText] = await Promise.all([readTextFile(dotenvFile), readTextFile(path.join(ctx.root, '.istiorc.mk'))]);
  const rc = rcText === undefined ? [] : parseMakeVars(rcText, '.istiorc.mk');
  const dotenv = dotenvText === undefined ? undefined : parseDotenv(dotenvText);
  const evaluated = dotenv && (await evalDotenv(ctx, dotenvFile));
  for (const name of ['HUB', 'TAG'] as const) {
    const env = ctx.env[name];
    const fromEnv: Setting | undefined = env !== undefined && env !== '' ? { name, value: env, source: `env ${name}` } : undefined;
    const r = rc.find((v) => v.name === name);
    const fromRc: Setting | undefined = r
      ? { name, value: r.value, source: `.istiorc.mk:${r.line}`, ...(r.value.includes('$') ? { computed: 'make' as const } : {}) }
      : undefined;
    out[name] = r && r.op !== '?=' ? fromRc : (fromEnv ?? fromRc);
    const d = dotenv && get(dotenv, name);
    if (d) {
      const v = evaluated?.[name];
      out.dotenv[name] = v !== undefined ? { name, value: v, source: `.env:${d.line}` } : { name, value: d.value, source: `.env:${d.line}`, computed: 'shell' };
    }
  }
  return out;
}
