import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pilotLocal } from '../../checks/pilot-local.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { istioFixture, tempEnv, testContext } from '../helpers/env.js';

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
