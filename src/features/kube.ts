/** Reads a kubeconfig and asks its API server, with node's own http(s), under a short timeout. */
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Context } from '../engine/context.js';

export interface KubeTarget {
  file: string;
  context: string;
  cluster: string;
  server: string;
  namespace?: string;
  /** TLS and auth material: used for the request, never printed. */
  ca?: Buffer;
  insecure?: boolean;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  basic?: string;
}

export function kubeconfigCandidates(ctx: Context): string[] {
  if (ctx.env.KUBECONFIG) return ctx.env.KUBECONFIG.split(path.delimiter).filter(Boolean);
  return [path.join(ctx.paths.home, '.kube', 'config')];
}

type Named<T> = { name: string } & T;

export async function readKubeconfig(ctx: Context): Promise<{ target?: KubeTarget; error?: string; file?: string }> {
  const files = kubeconfigCandidates(ctx);
  let file: string | undefined;
  let text = '';
  for (const f of files) {
    try {
      text = await fs.readFile(f, 'utf8');
      file = f;
      break;
    } catch {
      // next
    }
  }
  if (!file) return { error: `no kubeconfig found (${ctx.env.KUBECONFIG ? `KUBECONFIG=${ctx.env.KUBECONFIG}` : files[0]})` };
  const { default: YAML } = await import('yaml');
  let doc: {
    'current-context'?: string;
    contexts?: Named<{ context?: { cluster?: string; user?: string; namespace?: string } }>[];
    clusters?: Named<{ cluster?: { server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean } }>[];
    users?: Named<{ user?: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string; username?: string; password?: string } }>[];
  };
  try {
    doc = YAML.parse(text) ?? {};
  } catch (err) {
    return { file, error: `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  const current = doc['current-context'];
  if (!current) return { file, error: `${file} has no current-context (kubectl config use-context <name>)` };
  const c = doc.contexts?.find((x) => x.name === current)?.context;
  if (!c) return { file, error: `${file}: current-context "${current}" is not defined in contexts` };
  const cl = doc.clusters?.find((x) => x.name === c.cluster)?.cluster;
  if (!cl?.server) return { file, error: `${file}: cluster "${c.cluster}" of context "${current}" has no server` };
  const u = doc.users?.find((x) => x.name === c.user)?.user ?? {};
  const b64 = (s?: string) => (s ? Buffer.from(s, 'base64') : undefined);
  const read = async (p?: string) => (p ? fs.readFile(path.resolve(path.dirname(file!), p)).catch(() => undefined) : undefined);
  return {
    file,
    target: {
      file,
      context: current,
      cluster: c.cluster!,
      server: cl.server,
      namespace: c.namespace,
      ca: b64(cl['certificate-authority-data']) ?? (await read(cl['certificate-authority'])),
      insecure: cl['insecure-skip-tls-verify'],
      cert: b64(u['client-certificate-data']) ?? (await read(u['client-certificate'])),
      key: b64(u['client-key-data']) ?? (await read(u['client-key'])),
      token: u.token,
      basic: u.username && u.password ? Buffer.from(`${u.username}:${u.password}`).toString('base64') : undefined,
    },
  };
}

/** GET <server><path>: the status code, or the network error, within `timeoutMs`. */
export function kubeGet(t: KubeTarget, p: string, timeoutMs: number, signal?: AbortSignal): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(p, t.server.endsWith('/') ? t.server : t.server + '/');
    } catch {
      resolve({ error: `invalid server URL ${t.server}` });
      return;
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (t.token) headers.authorization = `Bearer ${t.token}`;
    else if (t.basic) headers.authorization = `Basic ${t.basic}`;
    const mod = url.protocol === 'http:' ? http : https;
    const req = mod.request(url, { method: 'GET', headers, ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: !t.insecure, signal, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d.length < 65536 ? d : ''));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code && !/no answer/.test(err.message) ? `${err.code}${err.message.includes(err.code) ? '' : `: ${err.message}`}` : err.message }));
    req.end();
  });
}
