import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeconfig } from '../../checks/kubeconfig.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { exec } from '../../src/platform/exec.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { makePki, type TestPki } from '../helpers/tls.js';

/**
 * The real kubectl against a loopback HTTPS API server this test starts, with
 * a CA made here. Under CI=true a missing kubectl or openssl fails.
 */
const GOOD = 'kube-t0ken-value';

interface Api {
  server: string;
  paths: string[];
  close(): Promise<void>;
}

async function startApi(pki: TestPki, opts: { istioSystem: boolean }): Promise<Api> {
  const paths: string[] = [];
  const json = (res: import('node:http').ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const srv = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    const p = new URL(req.url ?? '/', 'https://x').pathname;
    paths.push(p);
    if (req.headers.authorization !== `Bearer ${GOOD}`) {
      json(res, 401, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      return;
    }
    if (p === '/version') return json(res, 200, { major: '1', minor: '29', gitVersion: 'v1.29.4', platform: 'linux/amd64' });
    if (p === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (p === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (p === '/api/v1') {
      return json(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] }] });
    }
    if (p === '/api/v1/namespaces/istio-system') {
      if (opts.istioSystem) return json(res, 200, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'istio-system' }, status: { phase: 'Active' } });
      return json(res, 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'namespaces "istio-system" not found', reason: 'NotFound', details: { name: 'istio-system', kind: 'namespaces' }, code: 404 });
    }
    json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    server: `https://127.0.0.1:${(srv.address() as net.AddressInfo).port}`,
    paths,
    close: () => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))),
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const clusterPart = (server: string, ca: string) => `clusters:\n- name: c\n  cluster:\n    server: "${server}"\n    certificate-authority-data: ${b64(ca)}\n`;
const contextPart = 'current-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\n';
const userPart = (token: string) => `users:\n- name: u\n  user: {token: ${token}}\n`;
const kc = (server: string, ca: string, token = GOOD) => `apiVersion: v1\nkind: Config\n${contextPart}${clusterPart(server, ca)}${userPart(token)}`;

describe('kubeconfig (real kubectl, loopback HTTPS API server)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let pki: TestPki;
  let have = true;
  before(async () => {
    t = await tempEnv();
    const k = await exec('kubectl', ['version', '--client', '-o', 'json'], { timeoutMs: 30_000 });
    if (k.notFound) {
      if (process.env.CI === 'true') throw new Error('kubectl is missing (scripts/test.sh installs kubernetes-client)');
      have = false;
      return;
    }
    pki = await makePki(path.join(t.dir, 'pki'));
  });
  after(() => t.cleanup());

  const run = async (env: Record<string, string | undefined>) => runOneCheck(kubeconfig, await testContext({ env: { ...t.env, ...env }, dir: t.dir }), 30_000);

  it('ok: context, server, Kubernetes version and istio-system, from kubectl itself', async (c) => {
    if (!have) return c.skip('kubectl not installed');
    const api = await startApi(pki, { istioSystem: true });
    try {
      const file = path.join(t.dir, 'ok.yaml');
      await fs.writeFile(file, kc(api.server, pki.caCert));
      const r = await run({ KUBECONFIG: file });
      assert.equal(r.status, 'ok', r.summary);
      assert.match(r.summary, new RegExp(`^context dev \\(${api.server.replace(/\./g, '\\.')}\\): Kubernetes v1\\.29\\.4, istio-system present$`));
      assert.ok(api.paths.includes('/version') && api.paths.includes('/api/v1/namespaces/istio-system'), api.paths.join());
      assert.doesNotMatch(JSON.stringify(r), new RegExp(GOOD));
    } finally {
      await api.close();
    }
  });

  it('401: names the context and says the credentials were rejected, without the token', async (c) => {
    if (!have) return c.skip('kubectl not installed');
    const api = await startApi(pki, { istioSystem: true });
    try {
      const file = path.join(t.dir, 'bad.yaml');
      await fs.writeFile(file, kc(api.server, pki.caCert, 'wrong-t0ken-value'));
      const r = await run({ KUBECONFIG: file });
      assert.equal(r.status, 'fail');
      assert.equal(r.found, 'unauthorized');
      assert.match(r.summary, /context dev .* rejected the credentials \(401\)/);
      assert.doesNotMatch(JSON.stringify(r), /wrong-t0ken-value/);
    } finally {
      await api.close();
    }
  });

  it('no istio-system: warns with the command that creates it', async (c) => {
    if (!have) return c.skip('kubectl not installed');
    const api = await startApi(pki, { istioSystem: false });
    try {
      const file = path.join(t.dir, 'nons.yaml');
      await fs.writeFile(file, kc(api.server, pki.caCert));
      const r = await run({ KUBECONFIG: file });
      assert.equal(r.status, 'warn', r.summary);
      assert.match(r.summary, /answers \(Kubernetes v1\.29\.4\) but has no istio-system namespace/);
      assert.equal(r.hint, 'kubectl create namespace istio-system');
    } finally {
      await api.close();
    }
  });

  it('KUBECONFIG=a:b is merged: the context and cluster in one file, the user and its token in the other', async (c) => {
    if (!have) return c.skip('kubectl not installed');
    const api = await startApi(pki, { istioSystem: true });
    try {
      const a = path.join(t.dir, 'a.yaml');
      const b = path.join(t.dir, 'b.yaml');
      await fs.writeFile(a, `apiVersion: v1\nkind: Config\n${contextPart}${clusterPart(api.server, pki.caCert)}`);
      await fs.writeFile(b, `apiVersion: v1\nkind: Config\n${userPart(GOOD)}`);
      const r = await run({ KUBECONFIG: `${a}${path.delimiter}${b}` });
      assert.equal(r.status, 'ok', r.summary);
      assert.equal(r.source, `KUBECONFIG=${a}${path.delimiter}${b}`);
    } finally {
      await api.close();
    }
  });

  it('missing kubeconfig and a closed port: clear failures within the timeout', async (c) => {
    if (!have) return c.skip('kubectl not installed');
    const none = await run({ KUBECONFIG: path.join(t.dir, 'nope') });
    assert.equal(none.status, 'fail');
    assert.match(none.summary, /^no usable kubeconfig \(KUBECONFIG=.*nope\)/);
    // A port free on 127.0.0.2, where no other test listens (they use 127.0.0.1, and may be given the same port
    // number there after this one is closed: on 127.0.0.1 that raced with them and got a 401 instead of a refusal).
    const s = net.createServer();
    await new Promise<void>((res) => s.listen(0, '127.0.0.2', () => res()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((res) => s.close(() => res()));
    const file = path.join(t.dir, 'closed.yaml');
    await fs.writeFile(file, kc(`https://127.0.0.2:${port}`, pki.caCert));
    const t0 = Date.now();
    const r = await run({ KUBECONFIG: file });
    assert.ok(Date.now() - t0 < 15_000);
    assert.equal(r.status, 'fail');
    assert.equal(r.found, 'unreachable');
    assert.match(r.summary, new RegExp(`context dev \\(https://127\\.0\\.0\\.2:${port}\\) did not answer`));
    assert.match(r.summary, /was refused/);
  });
});
