import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allChecks } from '../../checks/index.js';
import { networkReach } from '../../checks/network-reach.js';
import { expandProfiles } from '../../src/cli/base.js';
import { runOneCheck, selectChecks } from '../../src/engine/engine.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('network-reach (loopback only)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let up: TestServer;
  let mirror: TestServer;
  let proxy: TestProxy;
  before(async () => {
    t = await tempEnv();
    up = await startServer({});
    mirror = await startServer({});
    proxy = await startProxy({ hosts: { 'only-via-proxy.test': `127.0.0.1:${new URL(up.url).port}` }, user: 'u', password: 'reach-pw' });
  });
  after(async () => {
    await proxy.close();
    await up.close();
    await mirror.close();
    await t.cleanup();
  });

  async function run(config: object, env: Record<string, string> = {}) {
    const cfg = path.join(t.dir, `cfg-${Math.random().toString(36).slice(2)}.json`);
    await fs.writeFile(cfg, JSON.stringify(config));
    return runOneCheck(networkReach, await testContext({ env: { ...t.env, ...env }, dir: t.dir, configPath: cfg }), 20_000);
  }

  it('never selected by default nor by --profile all; selected by --profile network', () => {
    const ids = (p?: string[]) => selectChecks(allChecks, { profiles: expandProfiles(p) }).map((c) => c.id);
    assert.ok(!ids().includes('network-reach'));
    assert.ok(!ids(['all']).includes('network-reach'));
    assert.ok(ids(['network']).includes('network-reach'));
    assert.ok(ids(['all', 'network']).includes('network-reach'));
  });

  it('an upstream that does not answer is covered when its mirror answers; a dead mirror fails naming it', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/`;
    const ok = await run({ network: { upstreams: [`${up.url}/`, dead], reachTimeoutMs: 2000 }, mirrors: { urls: { [dead]: `${mirror.url}/m/` } } });
    assert.equal(ok.status, 'ok', JSON.stringify(ok));
    assert.ok(ok.details!.some((d) => d.startsWith(`${dead}: no answer direct`)), ok.details!.join('\n'));
    const deadMirror = `http://127.0.0.1:${await closedPort()}/m/`;
    const bad = await run({ network: { upstreams: [dead], reachTimeoutMs: 2000 }, mirrors: { urls: { [dead]: deadMirror } } });
    assert.equal(bad.status, 'fail');
    assert.match(bad.summary, new RegExp(`configured mirror not answering within 2000 ms: ${deadMirror.replace(/[.]/g, '\\.')}`));
  });

  it('goes through the proxy in effect (a host only the proxy resolves answers); the proxy password is redacted', async () => {
    const port = new URL(up.url).port;
    const r = await run({ network: { upstreams: [`http://only-via-proxy.test:${port}/`], reachTimeoutMs: 2000 } }, { HTTP_PROXY: `http://u:reach-pw@127.0.0.1:${proxy.port}` });
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.ok(proxy.log.includes(`GET http://only-via-proxy.test:${port}/`), proxy.log.join('\n'));
    assert.match(r.details!.join('\n'), new RegExp(`answers \\(HTTP 404, \\d+ ms via proxy http://u:\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}\\)`));
    assert.doesNotMatch(JSON.stringify(r), /reach-pw/);
  });

  it('mirror-only: an upstream with a mirror rule is not contacted at all', async () => {
    const before = up.log.length;
    const r = await run({ prefer: 'mirror-only', network: { upstreams: [`${up.url}/`], reachTimeoutMs: 2000 }, mirrors: { urls: { [`${up.url}/`]: `${mirror.url}/m/` } } });
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.equal(up.log.length, before, 'the upstream was contacted');
    assert.ok(r.details!.some((d) => /not contacted \(prefer "mirror-only"/.test(d)), r.details!.join('\n'));
  });
});
