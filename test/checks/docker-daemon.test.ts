import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerDaemon } from '../../checks/docker-daemon.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { asUnprivileged, checkFrom, fakeExec, runCli, runCliAs, tempEnv, testContext } from '../helpers/env.js';
import { dockerHost, harnessDir, requireReal } from '../helpers/daemons.js';

function listen(server: net.Server, sock: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => resolve());
  });
}

describe('docker-daemon', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('ok against the real daemon started by the harness', async (tc) => {
    const host = dockerHost();
    if (!requireReal(tc, 'a harness dockerd (DEVENV_TEST_DOCKER_HOST)', host)) return;
    const r = await runCli(['doctor', '--json', '--only', 'docker-daemon'], { env: { ...t.env, DOCKER_HOST: host } });
    const c = checkFrom(r.stdout, 'docker-daemon');
    assert.equal(c.status, 'ok', String(c.summary));
    assert.match(String(c.found), /^server \d+\.\d+/);
    assert.match(String(c.summary), new RegExp(`answering at ${host!.replace(/[/.]/g, '\\$&')}`));
    assert.equal(r.code, 0);
  });

  it('DOCKER_HOST at a missing socket: daemon not running', async () => {
    const host = `unix://${path.join(t.dir, 'missing.sock')}`;
    const r = await runCli(['doctor', '--json', '--only', 'docker-daemon'], { env: { ...t.env, DOCKER_HOST: host } });
    const c = checkFrom(r.stdout, 'docker-daemon');
    assert.equal(c.status, 'fail');
    assert.equal(c.found, 'not running');
    assert.match(String(c.summary), /Docker daemon not running at unix:\/\/.*missing\.sock/);
    assert.match(String(c.hint), /DOCKER_HOST/);
    assert.equal(r.code, 1);
  });

  it('a socket the user cannot open: permission denied, with the docker-group hint', async () => {
    const sock = path.join(t.dir, 'docker-perm.sock');
    const server = net.createServer((s) => s.end());
    await listen(server, sock);
    try {
      await fs.chmod(sock, 0o000);
      const r = await runCliAs(asUnprivileged(), ['doctor', '--json', '--only', 'docker-daemon'], { env: { ...t.env, DOCKER_HOST: `unix://${sock}` }, cwd: t.dir });
      const c = checkFrom(r.stdout, 'docker-daemon');
      assert.equal(c.status, 'fail', String(c.summary));
      assert.match(String(c.summary), /permission denied on the Docker socket/);
      assert.match(String(c.hint), /usermod -aG docker/);
      assert.equal(r.code, 1);
    } finally {
      server.close();
    }
  });

  it('a socket that accepts but never answers: fails within the timeout, naming the check and command', async () => {
    const sock = path.join(t.dir, 'hung.sock');
    const held: net.Socket[] = [];
    const server = net.createServer((s) => void held.push(s)); // accept, never reply
    await listen(server, sock);
    try {
      const r = await runCli(['doctor', '--json', '--only', 'docker-daemon', '--timeout', '2'], { env: { ...t.env, DOCKER_HOST: `unix://${sock}` }, timeoutMs: 20_000 });
      const c = checkFrom(r.stdout, 'docker-daemon');
      assert.equal(c.status, 'fail');
      assert.match(String(c.summary), /^docker-daemon: timed out after 2s waiting for `.*docker version --format/);
      assert.ok(Number(c.durationMs) < 5000, `took ${c.durationMs} ms`);
      assert.equal(r.code, 1);
    } finally {
      for (const s of held) s.destroy();
      server.close();
    }
  });

  it('no docker CLI: fail with the install hint (fake table: which finds nothing)', async () => {
    const ctx = await testContext({ env: { ...t.env, PATH: path.join(t.dir, 'nothing') }, dir: t.dir, exec: fakeExec([]) });
    const r = await runOneCheck(dockerDaemon, ctx, 5000);
    assert.equal(r.status, 'fail');
    assert.equal(r.found, 'missing');
    assert.match(r.hint ?? '', /docker/);
  });

  it('fix starts a stopped daemon through docker.startCommand, and the re-check tells the truth', async (tc) => {
    const isRoot = process.getuid?.() === 0;
    if (!requireReal(tc, 'root and dockerd for a second private daemon', isRoot && dockerHost())) return;
    const dir = path.join(t.dir, 'dd');
    const script = path.join(harnessDir(), 'dockerd.sh');
    const cfg = path.join(t.dir, 'start.json');
    await fs.writeFile(cfg, JSON.stringify({ docker: { startCommand: ['bash', script, 'start', dir], startTimeoutMs: 60_000 } }));
    const env = { ...t.env, DOCKER_HOST: `unix://${dir}/docker.sock`, DEVENV_CONFIG: cfg };
    try {
      const before = await runCli(['doctor', '--json', '--only', 'docker-daemon'], { env });
      assert.equal(checkFrom(before.stdout, 'docker-daemon').found, 'not running');
      const dry = await runCli(['fix', 'docker-daemon', '--dry-run'], { env });
      assert.match(dry.stdout, new RegExp(`bash ${script.replace(/[/.]/g, '\\$&')} start`));
      await assert.rejects(fs.access(path.join(dir, 'docker.sock')), 'dry run started the daemon');
      const r = await runCli(['fix', 'docker-daemon', '--yes', '--json'], { env, timeoutMs: 120_000 });
      const o = JSON.parse(r.stdout).fixes[0];
      assert.equal(o.action, 'fixed', JSON.stringify(o));
      assert.equal(o.after.status, 'ok');
      assert.equal(r.code, 0);
    } finally {
      execFileSync('bash', [script, 'stop', dir]);
    }
  });

  it('a start command that does not bring the daemon up: the fix fails within its bound and the re-check says so', async () => {
    const cfg = path.join(t.dir, 'nostart.json');
    await fs.writeFile(cfg, JSON.stringify({ docker: { startCommand: ['true'], startTimeoutMs: 1500 } }));
    const env = { ...t.env, DOCKER_HOST: `unix://${path.join(t.dir, 'never.sock')}`, DEVENV_CONFIG: cfg };
    const r = await runCli(['fix', 'docker-daemon', '--yes', '--json'], { env, timeoutMs: 30_000 });
    const o = JSON.parse(r.stdout).fixes[0];
    assert.equal(o.action, 'failed');
    assert.match(o.message, /did not answer within 2s|did not answer within 1s/);
    assert.equal(o.after.status, 'fail');
    assert.equal(r.code, 1);
  });
});
