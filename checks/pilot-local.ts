import fs from 'node:fs/promises';
import type { IstioCheck } from '../src/istio/project.js';
import path from 'node:path';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { formatCommand } from '../src/platform/exec.js';
import { exists } from '../src/platform/files.js';
import { portFree, portHolder } from '../src/platform/ports.js';
import { manualStep } from '../src/features/steps.js';

/** pilot-discovery's own defaults (pilot/cmd/pilot-discovery/main.go at 1.4.2). */
export const PILOT_DEFAULTS = {
  meshConfig: '/etc/istio/config/mesh',
  networksConfig: '/etc/istio/config/meshNetworks',
  registries: ['Kubernetes'],
  certDir: '/etc/certs',
  ports: { grpc: 15010, secureGrpc: 15012, monitoring: 15014, http: 8080, ctrlz: 9876 },
};

const CERTS = ['root-cert.pem', 'key.pem', 'cert-chain.pem'];

export function pilotSettings(ctx: Context) {
  const p = ctx.config.pilot;
  const resolve = (f: string) => (ctx.root && !path.isAbsolute(f) ? path.resolve(ctx.root, f) : f);
  return {
    meshConfig: resolve(p.meshConfig ?? PILOT_DEFAULTS.meshConfig),
    networksConfig: resolve(p.networksConfig ?? PILOT_DEFAULTS.networksConfig),
    configDir: p.configDir ? resolve(p.configDir) : undefined,
    registries: p.registries ?? PILOT_DEFAULTS.registries,
    certDir: resolve(p.certDir ?? ctx.env.PILOT_CERT_DIR ?? PILOT_DEFAULTS.certDir),
    ports: { ...PILOT_DEFAULTS.ports, ...p.ports },
  };
}

export function pilotCommand(s: ReturnType<typeof pilotSettings>): string {
  const args = ['discovery', '--registries', s.registries.join(','), '--meshConfig', s.meshConfig, '--networksConfig', s.networksConfig];
  if (s.configDir) args.push('--configDir', s.configDir);
  args.push('--grpcAddr', `:${s.ports.grpc}`, '--secureGrpcAddr', s.ports.secureGrpc === 0 ? '' : `:${s.ports.secureGrpc}`, '--monitoringAddr', `:${s.ports.monitoring}`, '--httpAddr', `:${s.ports.http}`, '--ctrlz_port', String(s.ports.ctrlz));
  const env = s.ports.secureGrpc !== 0 && s.certDir !== PILOT_DEFAULTS.certDir ? `PILOT_CERT_DIR=${s.certDir} ` : '';
  return env + formatCommand('pilot-discovery', args);
}

async function yamlProblem(file: string): Promise<string | undefined> {
  const { default: YAML } = await import('yaml');
  const text = await fs.readFile(file, 'utf8');
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length === 0) return undefined;
  const e = doc.errors[0];
  return `${file}:${e.linePos?.[0]?.line ?? 1}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?/, '')}`;
}

export const pilotLocal = {
  id: 'pilot-local',
  title: 'Local pilot-discovery',
  category: 'workspace',
  profiles: ['pilot-local'],
  description:
    'What `pilot-discovery discovery` needs locally, from config `pilot` and pilot\'s defaults: mesh and networks files parse as YAML (missing is a warning: pilot falls back to defaults), the gRPC/secure gRPC/monitoring/HTTP/ControlZ ports are free, and the secure gRPC port\'s certificates exist.',
  fixDescription: 'Prints the complete pilot-discovery command line for your settings, and what to change (free a port, point PILOT_CERT_DIR at certs, or disable the secure port).',
  async run(ctx): Promise<CheckResult> {
    const s = pilotSettings(ctx);
    const problems: string[] = [];
    const warnings: string[] = [];
    for (const [what, file] of [['mesh config', s.meshConfig], ['mesh networks', s.networksConfig]] as const) {
      if (!(await exists(file))) warnings.push(`${what} ${file} not found (pilot uses its defaults${what === 'mesh config' ? ' or the istio ConfigMap' : ''})`);
      else {
        const bad = await yamlProblem(file).catch((e) => `${file}: ${(e as Error).message}`);
        if (bad) problems.push(`${what} is not valid YAML: ${bad}`);
      }
    }
    if (s.configDir && !(await exists(s.configDir))) problems.push(`configDir ${s.configDir} does not exist`);
    const ports = Object.entries(s.ports).filter(([, p]) => p !== 0) as [string, number][];
    const busy = await Promise.all(ports.map(async ([name, p]) => ((await portFree(p)) ? undefined : { name, p, holder: await portHolder(p, ctx.signal) })));
    for (const b of busy) if (b) problems.push(`port ${b.p} (${b.name}) is in use${b.holder ? ` by ${b.holder}` : ''}`);
    if (s.ports.secureGrpc !== 0) {
      const missing = [];
      for (const c of CERTS) if (!(await exists(path.join(s.certDir, c)))) missing.push(c);
      if (missing.length) problems.push(`secure gRPC (:${s.ports.secureGrpc}) needs ${missing.join(', ')} in ${s.certDir} (set PILOT_CERT_DIR or pilot.certDir, or pilot.ports.secureGrpc: 0)`);
    }
    if (s.registries.includes('Kubernetes') && !s.configDir) warnings.push('the Kubernetes registry needs cluster access (see the kubeconfig check, --profile cluster)');
    const cmd = pilotCommand(s);
    const details = [...problems, ...warnings, `run: ${cmd}`];
    if (problems.length) return { status: 'fail', summary: problems.join('; '), found: `${problems.length} problem${problems.length === 1 ? '' : 's'}`, hint: `then: ${cmd}`, details };
    if (warnings.length) return { status: 'warn', summary: warnings.join('; '), found: 'ports free', hint: `run: ${cmd}`, details };
    return { status: 'ok', summary: `files, certificates and ports ${ports.map(([, p]) => p).join(', ')} ready`, found: 'ready', details };
  },
  // devenv prints what to do; the person does it (see the fix plan)
  fixKind: 'manual',
  async fix(ctx, result) {
    return { notes: result.details?.filter((d) => !d.startsWith('run: ')) ?? [], steps: [manualStep(pilotCommand(pilotSettings(ctx)))] };
  },
} satisfies IstioCheck;
