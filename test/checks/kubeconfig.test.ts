import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeconfig } from '../../checks/kubeconfig.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { tempEnv, testContext } from '../helpers/env.js';

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
