import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hubTag } from '../../checks/hub-tag.js';
import { kubeconfig } from '../../checks/kubeconfig.js';
import { pilotLocal } from '../../checks/pilot-local.js';
import { registryLogin } from '../../checks/registry-login.js';
import { runOneCheck } from '../../src/core/engine.js';
import { repositoryError, tagError } from '../../src/core/reference.js';
import { istioFixture, runCli, tempEnv, testContext } from '../helpers/env.js';

describe('hub-tag and registry-login', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('reference grammar', () => {
    for (const ok of ['istio', 'docker.io/jane', 'gcr.io/my-proj/sub', 'localhost:5000/me', 'registry.example.com:5000/a_b/c-d', 'a__b']) assert.equal(repositoryError(ok), undefined, ok);
    for (const bad of ['Docker.io/Jane', 'docker.io/Jane', 'a//b', 'docker.io/', '-x', 'x-', 'bad host:99x/x']) assert.notEqual(repositoryError(bad), undefined, bad);
    assert.equal(tagError('1.4-dev'), undefined);
    assert.notEqual(tagError('.bad'), undefined);
    assert.notEqual(tagError('a'.repeat(129)), undefined);
  });

  it('unset: warn saying what make defaults to', async () => {
    const root = await istioFixture(path.join(t.dir, 'unset'));
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'warn');
    assert.match(r.summary, /HUB \(make defaults to istio, which you cannot push to\); TAG \(make defaults to the git SHA\)/);
  });

  it('from .env and .istiorc.mk with their lines; env wins', async () => {
    const root = await istioFixture(path.join(t.dir, 'set'), { files: { '.env': '# mine\nexport HUB=docker.io/jane\n', '.istiorc.mk': 'HUB ?= gcr.io/x\nTAG ?= 1.4-dev\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'ok');
    assert.equal(r.source, '.env:2, .istiorc.mk:2');
    const e = await runOneCheck(hubTag, await testContext({ env: { ...t.env, HUB: 'quay.io/me' }, dir: root }), 5000);
    assert.match(e.summary, /HUB=quay\.io\/me/);
  });

  it('invalid: fail naming the value and its file and line', async () => {
    const root = await istioFixture(path.join(t.dir, 'bad'), { files: { '.env': 'export TAG=ok\n\nexport HUB=Docker.io/Jane\n' } });
    const r = await runOneCheck(hubTag, await testContext({ env: t.env, dir: root }), 5000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /^HUB=Docker\.io\/Jane \(\.env:3\) is not a valid image repository/);
    assert.equal(r.source, '.env:3');
  });

  it('registry-login: credentials by auths, credHelpers; missing → the exact docker login', async () => {
    const root = await istioFixture(path.join(t.dir, 'login'), { files: { '.env': 'export HUB=registry.example.com:5000/jane\nexport TAG=x\n' } });
    const dc = path.join(t.dir, 'dc');
    await fs.mkdir(dc, { recursive: true });
    const ctx = await testContext({ env: { ...t.env, DOCKER_CONFIG: dc }, dir: root });
    let r = await runOneCheck(registryLogin, ctx, 5000);
    assert.equal(r.status, 'warn');
    assert.equal(r.hint, 'docker login registry.example.com:5000');
    await fs.writeFile(path.join(dc, 'config.json'), JSON.stringify({ auths: { 'registry.example.com:5000': { auth: Buffer.from('jane:s3cr3t-pass').toString('base64') } } }));
    r = await runOneCheck(registryLogin, ctx, 5000);
    assert.equal(r.status, 'ok');
    assert.doesNotMatch(JSON.stringify(r), /amFuZT|s3cr3t/);
    await fs.writeFile(path.join(dc, 'config.json'), JSON.stringify({ credHelpers: { 'registry.example.com:5000': 'ecr-login' } }));
    r = await runOneCheck(registryLogin, ctx, 5000);
    assert.match(r.summary, /docker-credential-ecr-login/);
  });
});

describe('kubeconfig', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  const kc = (server: string) =>
    `apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "${server}"}\nusers:\n- name: u\n  user: {token: kube-t0ken-value}\n`;

  it('missing kubeconfig: a clear message', async () => {
    const r = await runOneCheck(kubeconfig, await testContext({ env: { ...t.env, KUBECONFIG: path.join(t.dir, 'nope') }, dir: t.dir }), 10_000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /^no kubeconfig found \(KUBECONFIG=.*nope\)/);
  });

  it('a closed loopback port: fails within its timeout naming the server', async () => {
    const s = net.createServer();
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((res) => s.close(() => res()));
    const file = path.join(t.dir, 'closed.yaml');
    await fs.writeFile(file, kc(`https://127.0.0.1:${port}`));
    const t0 = Date.now();
    const r = await runOneCheck(kubeconfig, await testContext({ env: { ...t.env, KUBECONFIG: file }, dir: t.dir }), 10_000);
    assert.ok(Date.now() - t0 < 7000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, new RegExp(`context dev \\(https://127\\.0\\.0\\.1:${port}\\) did not answer: ECONNREFUSED`));
    assert.doesNotMatch(JSON.stringify(r), /kube-t0ken-value/);
  });

  it('an API server that accepts but never answers: fails after 5 s', async () => {
    const held: net.Socket[] = [];
    const s = net.createServer((c) => void held.push(c));
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
    const file = path.join(t.dir, 'hung.yaml');
    await fs.writeFile(file, kc(`http://127.0.0.1:${(s.address() as net.AddressInfo).port}`));
    try {
      const r = await runOneCheck(kubeconfig, await testContext({ env: { ...t.env, KUBECONFIG: file }, dir: t.dir }), 10_000);
      assert.equal(r.status, 'fail');
      assert.match(r.summary, /did not answer: no answer within 5s/);
    } finally {
      held.forEach((c) => c.destroy());
      s.close();
    }
  });
});

describe('pilot-local', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  async function freePort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
    const p = (s.address() as net.AddressInfo).port;
    await new Promise<void>((res) => s.close(() => res()));
    return p;
  }

  it('free ports, parsed files and certs: ok; a port held by a real socket: busy, holder named; bad YAML named by line', async () => {
    const root = await istioFixture(path.join(t.dir, 'pilot'), {
      files: {
        'tests/testdata/mesh.yaml': 'defaultConfig:\n  discoveryAddress: localhost:15010\n',
        'tests/testdata/networks.yaml': 'networks: {}\n',
        'tests/testdata/certs/pilot/root-cert.pem': 'x',
        'tests/testdata/certs/pilot/key.pem': 'x',
        'tests/testdata/certs/pilot/cert-chain.pem': 'x',
        'tests/testdata/config/a.yaml': 'kind: x\n',
      },
    });
    const ports = { grpc: await freePort(), secureGrpc: await freePort(), monitoring: await freePort(), http: await freePort(), ctrlz: await freePort() };
    const pilot = { meshConfig: 'tests/testdata/mesh.yaml', networksConfig: 'tests/testdata/networks.yaml', configDir: 'tests/testdata/config', registries: ['Mock'], certDir: 'tests/testdata/certs/pilot', ports };
    await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ pilot }));
    const ctx = await testContext({ env: t.env, dir: root });
    const ok = await runOneCheck(pilotLocal, ctx, 10_000);
    assert.equal(ok.status, 'ok', ok.summary);
    assert.ok(ok.details?.some((d) => d.startsWith('run: PILOT_CERT_DIR=') && d.includes(`pilot-discovery discovery --registries Mock --meshConfig ${root}/tests/testdata/mesh.yaml`) && d.includes(`--grpcAddr :${ports.grpc}`)), ok.details?.join('\n'));

    const holder = net.createServer();
    await new Promise<void>((res) => holder.listen(ports.monitoring, () => res()));
    try {
      const busy = await runOneCheck(pilotLocal, ctx, 10_000);
      assert.equal(busy.status, 'fail');
      assert.match(busy.summary, new RegExp(`port ${ports.monitoring} \\(monitoring\\) is in use by node \\(pid ${process.pid}\\)`));
    } finally {
      holder.close();
    }
    await fs.writeFile(path.join(root, 'tests/testdata/mesh.yaml'), 'defaultConfig:\n  a: [1, 2\n');
    const bad = await runOneCheck(pilotLocal, ctx, 10_000);
    assert.equal(bad.status, 'fail');
    assert.match(bad.summary, /mesh config is not valid YAML: .*mesh\.yaml:\d+/);
  });

  it('missing certs for the secure port fail; disabling the port (0) removes the need', async () => {
    const root = await istioFixture(path.join(t.dir, 'nocerts'));
    const ports = { grpc: await freePort(), secureGrpc: await freePort(), monitoring: await freePort(), http: await freePort(), ctrlz: await freePort() };
    await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ pilot: { certDir: 'nowhere', ports } }));
    const r = await runOneCheck(pilotLocal, await testContext({ env: t.env, dir: root }), 10_000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /needs root-cert\.pem, key\.pem, cert-chain\.pem in .*nowhere/);
    await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ pilot: { ports: { ...ports, secureGrpc: 0 } } }));
    const r2 = await runOneCheck(pilotLocal, await testContext({ env: t.env, dir: root }), 10_000);
    assert.equal(r2.status, 'warn', r2.summary);
    assert.match(r2.summary, /mesh config \/etc\/istio\/config\/mesh not found/);
  });
});

describe('profiles', () => {
  it('default run has no cluster or pilot-local checks; --profile all has them; unknown profile exits 2', async () => {
    const t = await tempEnv();
    try {
      const def = JSON.parse((await runCli(['checks', '--json'], { env: t.env, cwd: t.dir })).stdout) as { id: string; profiles: string[] }[];
      assert.ok(def.some((c) => c.id === 'kubeconfig'));
      const d = await runCli(['doctor', '--json', '--timeout', '5'], { env: { ...t.env, DOCKER_HOST: 'unix:///nonexistent.sock' }, cwd: t.dir });
      const ids = (JSON.parse(d.stdout).checks as { id: string }[]).map((c) => c.id);
      assert.ok(!ids.includes('kubeconfig') && !ids.includes('pilot-local'), ids.join());
      const all = await runCli(['doctor', '--json', '--profile', 'all', '--timeout', '5'], { env: { ...t.env, DOCKER_HOST: 'unix:///nonexistent.sock', KUBECONFIG: path.join(t.dir, 'none') }, cwd: t.dir });
      const allIds = (JSON.parse(all.stdout).checks as { id: string }[]).map((c) => c.id);
      assert.ok(allIds.includes('kubeconfig') && allIds.includes('pilot-local'), allIds.join());
      const bad = await runCli(['doctor', '--profile', 'clusterr'], { env: t.env, cwd: t.dir });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /clusterr/);
    } finally {
      await t.cleanup();
    }
  });
});
