import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localGoVersion } from '../../checks/go-version.js';
import type { GoRelease } from '../../src/features/goinstall.js';
import { requireReal } from '../helpers/daemons.js';
import { istioFixture, repoRoot, runCli, runCliAs, tempEnv, testContext } from '../helpers/env.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { makePki } from '../helpers/tls.js';

const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
const PROXY_PW = 'pr0xy-s3cret';
const NETLOG = path.join(repoRoot, 'test/helpers/netlog.mjs');

describe('networks as contributors have them (e2e)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let proxy: TestProxy;
  let origin: https.Server;
  let originPort = 0;
  let caFile = '';
  let version: string | undefined;
  const routes = new Map<string, Buffer>();
  const originLog: string[] = [];

  before(async () => {
    t = await tempEnv();
    const local = await localGoVersion(await testContext({ env: t.env, dir: t.dir }));
    version = local.version;
    const pki = await makePki(path.join(t.dir, 'pki'));
    caFile = path.join(t.dir, 'pki', 'ca.crt');
    origin = https.createServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      originLog.push(`${req.method} ${req.url}`);
      const u = new URL(req.url ?? '/', 'https://x');
      const body = routes.get(u.pathname);
      if (!body) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    originPort = (origin.address() as AddressInfo).port;
    proxy = await startProxy({ hosts: { 'mirror.devenv.test': `127.0.0.1:${originPort}` }, user: 'pxuser', password: PROXY_PW });
    if (local.path && version) {
      const src = path.join(t.dir, 'tarsrc');
      await fs.mkdir(path.join(src, 'go', 'bin'), { recursive: true });
      await fs.copyFile(await fs.realpath(local.path), path.join(src, 'go', 'bin', 'go'));
      await fs.chmod(path.join(src, 'go', 'bin', 'go'), 0o755);
      const tgz = path.join(t.dir, 'go.tar.gz');
      execFileSync('tar', ['-C', src, '-czf', tgz, 'go']);
      const tarball = await fs.readFile(tgz);
      const file = `go${version}.linux-${arch}.tar.gz`;
      const index: GoRelease[] = [{ version: `go${version}`, stable: true, files: [{ filename: file, os: 'linux', arch, version: `go${version}`, sha256: createHash('sha256').update(tarball).digest('hex'), kind: 'archive' }] }];
      routes.set('/dl/', Buffer.from(JSON.stringify(index)));
      routes.set(`/dl/${file}`, tarball);
    }
  });
  after(async () => {
    await proxy?.close();
    origin?.closeAllConnections();
    await new Promise<void>((r) => (origin ? origin.close(() => r()) : r()));
    await t.cleanup();
  });

  async function checkout(name: string, config: object) {
    const root = await istioFixture(path.join(t.dir, name), { go: version ? version.split('.').slice(0, 2).join('.') : '1.22', goVersionRequired: null });
    await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify(config));
    const emptyBin = path.join(t.dir, `${name}-bin`);
    await fs.mkdir(emptyBin, { recursive: true });
    const env = { ...t.env, PATH: emptyBin, XDG_DATA_HOME: path.join(t.dir, `${name}-data`), XDG_CACHE_HOME: path.join(t.dir, `${name}-cache`) };
    return { root, env };
  }

  it('the Go installer succeeds through an HTTPS (CONNECT) proxy with credentials, to a mirror only the proxy resolves; the password is never printed', async (tc) => {
    if (!requireReal(tc, 'go on PATH', version)) return;
    const { root, env } = await checkout('proxied', { go: { downloadBase: `https://mirror.devenv.test:${originPort}/dl/` } });
    const penv = { ...env, HTTPS_PROXY: `http://pxuser:${PROXY_PW}@127.0.0.1:${proxy.port}`, NODE_EXTRA_CA_CERTS: caFile };
    const before = originLog.length;
    const r = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', root], { env: penv, timeoutMs: 120_000 });
    const o = JSON.parse(r.stdout).fixes[0];
    // Installed through the proxy; not yet first on the (empty) PATH, so "improved", with the shellenv step left to the person.
    assert.equal(o.action, 'improved', `${JSON.stringify(o)}\n${r.stderr}`);
    assert.equal(o.after.found, `${version} (devenv)`);
    assert.ok(proxy.log.includes(`CONNECT mirror.devenv.test:${originPort}`), proxy.log.join('\n'));
    assert.deepEqual(originLog.slice(before), ['GET /dl/?mode=json&include=all', `GET /dl/go${version}.linux-${arch}.tar.gz`]);
    const doc = await runCli(['doctor', '--json', '--only', 'go-version', '--dir', root], { env: penv });
    const net = JSON.parse(doc.stdout).network;
    assert.match(net.proxy, new RegExp(`https via http://pxuser:\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port} \\(from the environment\\)`));
    for (const out of [r.stdout, r.stderr, doc.stdout, doc.stderr]) assert.doesNotMatch(out, new RegExp(PROXY_PW));
    // The same through config network.proxy, overriding a wrong environment.
    const cfgDir = await checkout('proxied-cfg', { go: { downloadBase: `https://mirror.devenv.test:${originPort}/dl/` }, network: { proxy: `http://pxuser:${PROXY_PW}@127.0.0.1:${proxy.port}` } });
    const r2 = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', cfgDir.root], { env: { ...cfgDir.env, HTTPS_PROXY: 'http://127.0.0.1:1', NODE_EXTRA_CA_CERTS: caFile }, timeoutMs: 120_000 });
    assert.equal(JSON.parse(r2.stdout).fixes[0].action, 'improved', r2.stderr);
    assert.doesNotMatch(r2.stdout + r2.stderr, new RegExp(PROXY_PW));
  });

  it('the Go installer downloads straight from an HTTPS mirror, no proxy: the certificate checked by name and trusted through NODE_EXTRA_CA_CERTS; untrusted, nothing is installed and the message says why', async (tc) => {
    if (!requireReal(tc, 'go on PATH', version)) return;
    const { root, env } = await checkout('direct-tls', { go: { downloadBase: `https://localhost:${originPort}/dl/` } });
    const before = originLog.length;
    const r = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', root], { env: { ...env, NODE_EXTRA_CA_CERTS: caFile }, timeoutMs: 120_000 });
    const o = JSON.parse(r.stdout).fixes[0];
    assert.equal(o.action, 'improved', `${JSON.stringify(o)}\n${r.stderr}`);
    assert.equal(o.after.found, `${version} (devenv)`);
    assert.deepEqual(originLog.slice(before), ['GET /dl/?mode=json&include=all', `GET /dl/go${version}.linux-${arch}.tar.gz`]);
    const bad = await checkout('direct-tls-untrusted', { go: { downloadBase: `https://localhost:${originPort}/dl/` } });
    const r2 = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', bad.root], { env: bad.env, timeoutMs: 120_000 });
    const o2 = JSON.parse(r2.stdout).fixes[0];
    assert.equal(o2.action, 'failed', JSON.stringify(o2));
    assert.match(o2.message, /certificate/);
  });

  const abs = (cmd: string) => execFileSync('bash', ['--norc', '--noprofile', '-c', 'command -v "$1"', '_', cmd]).toString().trim();
  // The checkout's PATH is empty on purpose: the namespace helpers are named by absolute path.
  let UNSHARE: string[] = [];
  async function haveUnshare(): Promise<boolean> {
    try {
      UNSHARE = [abs('unshare'), '-n', abs('bash'), '--norc', '--noprofile', '-c', `${abs('ip')} link set lo up && exec "$@"`, 'devenv-netns'];
      execFileSync(UNSHARE[0], ['-n', 'true']);
      return true;
    } catch {
      return false;
    }
  }
  async function attempts(log: string): Promise<string[]> {
    const text = await fs.readFile(log, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean);
  }
  const nonLoopback = (lines: string[]) => lines.filter((l) => !/^(connect (127\.0\.0\.1|::1|localhost):\d+|connect unix:.*)$/.test(l));

  it('--offline (fix and its --dry-run, doctor) in a namespace without network: no lookup, no connection attempt anywhere', async (tc) => {
    if (!requireReal(tc, 'unshare -n (root)', await haveUnshare())) return;
    const { root, env } = await checkout('offline', {});
    const log = path.join(t.dir, 'offline.netlog');
    const nenv = { ...env, NODE_OPTIONS: `--import=${NETLOG}`, DEVENV_TEST_NETLOG: log };
    const fixRun = await runCliAs(UNSHARE, ['fix', 'go-version', '--offline', '--yes', '--json', '--dir', root], { env: nenv, timeoutMs: 60_000 });
    const o = JSON.parse(fixRun.stdout).fixes[0];
    assert.equal(o.action, 'failed');
    assert.match(o.message, /offline: not contacting https:\/\/go\.dev\/dl\/\?mode=json&include=all/);
    const dry = await runCliAs(UNSHARE, ['fix', 'go-version', '--offline', '--dry-run', '--json', '--dir', root], { env: nenv, timeoutMs: 60_000 });
    assert.match(JSON.parse(dry.stdout).fixes[0].message, /offline: not contacting/);
    const doc = await runCliAs(UNSHARE, ['doctor', '--offline', '--json', '--profile', 'network', '--only', 'network-reach', '--dir', root], { env: nenv, timeoutMs: 60_000 });
    const reach = JSON.parse(doc.stdout).checks.find((c: { id: string }) => c.id === 'network-reach');
    assert.equal(reach.status, 'skip');
    assert.match(JSON.parse(doc.stdout).network.mode, /^offline/);
    assert.deepEqual((await attempts(log)).filter((l) => l.startsWith('lookup') || !l.startsWith('connect unix:')), [], 'an --offline run tried the network');
  });

  it('prefer "mirror-only" in a namespace without network: only the loopback mirror is tried; its failure names the mirror URL and the rule; --dry-run too', async (tc) => {
    if (!requireReal(tc, 'unshare -n (root)', await haveUnshare())) return;
    // Nothing listens on this loopback port inside the namespace: the mirror fails.
    const { root, env } = await checkout('mirroronly', { prefer: 'mirror-only', mirrors: { urls: { 'https://go.dev/dl/': 'http://127.0.0.1:9/go-mirror/' } } });
    const log = path.join(t.dir, 'mirroronly.netlog');
    const nenv = { ...env, NODE_OPTIONS: `--import=${NETLOG}`, DEVENV_TEST_NETLOG: log };
    for (const extra of [['--yes'], ['--dry-run']]) {
      const r = await runCliAs(UNSHARE, ['fix', 'go-version', ...extra, '--json', '--dir', root], { env: nenv, timeoutMs: 60_000 });
      const o = JSON.parse(r.stdout).fixes[0];
      assert.equal(o.action, 'failed', r.stdout);
      assert.match(o.message, /ECONNREFUSED.* at http:\/\/127\.0\.0\.1:9\/go-mirror\/\?mode=json&include=all \[mirror from mirrors\.urls "https:\/\/go\.dev\/dl\/" → "http:\/\/127\.0\.0\.1:9\/go-mirror\/"\]/);
      assert.doesNotMatch(o.message, /; https:\/\/go\.dev\//, 'the upstream was tried');
    }
    const lines = await attempts(log);
    assert.ok(lines.some((l) => l === 'connect 127.0.0.1:9'), lines.join('\n'));
    assert.deepEqual(nonLoopback(lines), [], 'mirror-only contacted a non-loopback address');
  });
});
