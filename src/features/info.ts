/** `devenv info`: what a bug report needs, with every secret redacted and the home directory shown as ~. */
import os from 'node:os';
import type { Check, TimedResult } from '../engine/check.js';
import type { IstioContext as Context } from '../istio/project.js';
import { runChecks, selectChecks } from '../engine/engine.js';
import { tildify } from '../platform/paths.js';
import { redact } from '../platform/redact.js';
import { readHubTag } from '../istio/hubtag.js';

export interface Info {
  devenv: string;
  system: { os: string; arch: string; cpus: string; memory: string; shell: string | null };
  tools: Record<string, string | null>;
  checkout: { root: string; version: string | null; branch: string | null; commit: string | null; dirty: boolean | null } | null;
  build: Record<string, string | null>;
  doctor: { id: string; status: string; summary: string }[];
}

const TOOLS: [string, string, string[], RegExp][] = [
  ['go', 'go', ['version'], /go(\d+\.\d+(?:\.\d+)?\S*)/],
  // `docker --version` needs no daemon (`docker version` exits 1 without one, client version and all)
  ['docker client', 'docker', ['--version'], /Docker version ([^,\s]+)/],
  ['docker server', 'docker', ['version', '--format', '{{.Server.Version}}'], /^(\d\S*)/],
  ['ruby', 'ruby', ['--version'], /ruby (\S+)/],
  ['fpm', 'fpm', ['--version'], /(\S+)/],
  ['tar', 'tar', ['--version'], /^(.*tar.*?[\d.]+)/],
  ['kubectl', 'kubectl', ['version', '--client', '--output=yaml'], /gitVersion: (\S+)/],
  ['helm', 'helm', ['version', '--short', '--client'], /(v?\d\S*)/],
  ['git', 'git', ['--version'], /git version (\S+)/],
];

/** A tool's version, null when it is not installed, or why it could not say (what a bug report needs to know). */
async function tool(ctx: Context, cmd: string, args: string[], re: RegExp): Promise<string | null> {
  const bin = await ctx.which(cmd);
  if (!bin) return null;
  const r = await ctx.exec(bin, args, { timeoutMs: 5000, env: { ...ctx.env, GOTOOLCHAIN: 'local' }, cwd: '/' });
  const m = re.exec(`${r.stdout}\n${r.stderr}`.trim());
  if (r.ok && m) return m[1];
  if (r.timedOut) return 'timed out';
  // e.g. "error: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
  const why = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).find(Boolean);
  return why ? `error: ${why.length > 160 ? `${why.slice(0, 157)}...` : why}` : `error (exit ${r.exitCode ?? '?'})`;
}

async function git(ctx: Context, args: string[]): Promise<string | null> {
  const r = await ctx.exec('git', ['-C', ctx.root!, ...args], { timeoutMs: 5000 });
  return r.ok ? r.stdout.trim() : null;
}

export async function gatherInfo(ctx: Context, version: string, checks: readonly Check[]): Promise<Info> {
  const toolsP = Promise.all(TOOLS.map(async ([name, cmd, args, re]) => [name, await tool(ctx, cmd, args, re)] as const));
  const doctorP = runChecks(selectChecks(checks, { profiles: ['build'] }), ctx, { timeoutMs: ctx.config.checks.timeoutMs, disabled: ctx.config.checks.disable });
  const checkoutP = ctx.root
    ? Promise.all([git(ctx, ['rev-parse', '--abbrev-ref', 'HEAD']), git(ctx, ['rev-parse', 'HEAD']), git(ctx, ['status', '--porcelain'])]).then(([branch, commit, status]) => ({
        root: ctx.root!,
        version: ctx.project?.version?.value ?? null,
        branch,
        commit,
        dirty: status === null ? null : status.length > 0,
      }))
    : Promise.resolve(null);
  const hubTagP = readHubTag(ctx);
  const [tools, doctor, checkout, hubTag] = await Promise.all([toolsP, doctorP, checkoutP, hubTagP]);
  return {
    devenv: version,
    system: {
      os: `${os.type()} ${os.release()}`,
      arch: os.arch(),
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'unknown'}`,
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      shell: ctx.env.SHELL ?? null,
    },
    tools: { ...Object.fromEntries(tools), node: process.version, devenv: version },
    checkout,
    build: {
      HUB: hubTag.HUB ? `${hubTag.HUB.value} (${hubTag.HUB.source})` : hubTag.dotenv.HUB ? `${hubTag.dotenv.HUB.value} (${hubTag.dotenv.HUB.source}; make does not read .env)` : null,
      TAG: hubTag.TAG ? `${hubTag.TAG.value} (${hubTag.TAG.source})` : hubTag.dotenv.TAG ? `${hubTag.dotenv.TAG.value} (${hubTag.dotenv.TAG.source}; make does not read .env)` : null,
      GOPATH: ctx.env.GOPATH ?? null,
      GO111MODULE: ctx.env.GO111MODULE ?? null,
      GOPROXY: ctx.env.GOPROXY ?? null,
    },
    doctor: doctor.map((r: TimedResult) => ({ id: r.id, status: r.status, summary: r.summary })),
  };
}

/** The last line of defence: secrets (by env name, in URLs, auth headers) and the home directory. */
export function scrub(text: string, ctx: Context): string {
  let out = redact(text, ctx.env);
  const home = ctx.paths.home;
  if (home && home !== '/') out = out.split(home).join('~');
  return out;
}

export function renderMarkdown(info: Info, ctx: Context): string {
  const v = (x: string | null | boolean | undefined) => (x === null || x === undefined ? '—' : String(x));
  const lines = [
    '### Environment (devenv info)',
    '',
    '| | |',
    '|---|---|',
    `| OS | ${info.system.os} (${info.system.arch}) |`,
    `| CPU | ${info.system.cpus} |`,
    `| Memory | ${info.system.memory} |`,
    `| Shell | ${v(info.system.shell)} |`,
    ...Object.entries(info.tools).map(([k, x]) => `| ${k} | ${v(x)} |`),
    '',
  ];
  if (info.checkout) {
    lines.push(
      '### Istio checkout',
      '',
      `- path: ${tildify(info.checkout.root, ctx.paths.home)}`,
      `- version: ${v(info.checkout.version)}`,
      `- branch: ${v(info.checkout.branch)}, commit: ${v(info.checkout.commit)}${info.checkout.dirty ? ' (dirty)' : info.checkout.dirty === false ? ' (clean)' : ''}`,
      '',
    );
  } else lines.push('_Not run inside an Istio checkout._', '');
  lines.push('### Build settings', '', ...Object.entries(info.build).map(([k, x]) => `- ${k}: ${v(x)}`), '');
  lines.push('### devenv doctor', '', '| check | status | summary |', '|---|---|---|', ...info.doctor.map((d) => `| ${d.id} | ${d.status} | ${d.summary.replace(/\|/g, '\\|')} |`), '');
  return scrub(lines.join('\n'), ctx);
}
