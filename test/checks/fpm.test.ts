import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fpm } from '../../checks/fpm.js';
import { ruby } from '../../checks/ruby.js';
import { runFixes, runOneCheck } from '../../src/engine/engine.js';
import { checkFrom, runCli, tempEnv, testContext } from '../helpers/env.js';
import { requireReal } from '../helpers/daemons.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { buildFpmGem } from '../helpers/fpmgem.js';

async function serveDir(dir: string): Promise<TestServer> {
  const routes: Record<string, Buffer> = {};
  async function walk(d: string) {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else routes['/' + path.relative(dir, p)] = await fs.readFile(p);
    }
  }
  await walk(dir);
  return startServer(routes);
}

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

describe('ruby and fpm with a local gem source', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer | undefined;
  const gem = which('gem');

  before(async () => {
    t = await tempEnv();
    if (!gem) return;
    // A small gem named fpm, built and indexed here, served on loopback.
    const gemFile = await buildFpmGem(path.join(t.dir, 'gemsrc'), t.env.HOME);
    const env = { ...process.env, HOME: t.env.HOME };
    const repo = path.join(t.dir, 'gemrepo');
    await fs.mkdir(path.join(repo, 'gems'), { recursive: true });
    await fs.copyFile(gemFile, path.join(repo, 'gems', 'fpm-1.11.0.gem'));
    execFileSync('gem', ['generate_index', '--directory', repo], { env, stdio: 'ignore' });
    server = await serveDir(repo);
  });
  after(async () => {
    await server?.close();
    await t.cleanup();
  });

  async function envFor(name: string, source: string) {
    const gemHome = path.join(t.dir, `${name}-gems`);
    const cfg = path.join(t.dir, `${name}.json`);
    await fs.writeFile(cfg, JSON.stringify({ gem: { source } }));
    return { ...t.env, GEM_HOME: gemHome, GEM_PATH: gemHome, PATH: `${path.join(gemHome, 'bin')}:${t.env.PATH}`, DEVENV_CONFIG: cfg };
  }

  it('ruby: the real ruby is found with its version', async (tc) => {
    if (!requireReal(tc, 'ruby', which('ruby'))) return;
    const r = await runOneCheck(ruby, await testContext({ env: t.env, dir: t.dir }), 10_000);
    assert.equal(r.status, 'ok');
    assert.match(r.found ?? '', /^\d+\.\d+\.\d+$/);
  });

  it('fpm: the fix installs from the configured source and the check then passes', async (tc) => {
    if (!requireReal(tc, 'gem', gem)) return;
    const env = await envFor('ok', `${server!.url}/`);
    const before = await runCli(['doctor', '--json', '--only', 'fpm'], { env, cwd: t.dir });
    assert.equal(checkFrom(before.stdout, 'fpm').status, 'fail');
    const dry = await runCli(['fix', 'fpm', '--dry-run'], { env, cwd: t.dir });
    assert.match(dry.stdout, new RegExp(`gem install --no-document fpm --clear-sources --source ${server!.url}/`));
    const r = await runCli(['fix', 'fpm', '--yes', '--json'], { env, cwd: t.dir, timeoutMs: 180_000 });
    const o = JSON.parse(r.stdout).fixes.find((x: { id: string }) => x.id === 'fpm');
    assert.equal(o.action, 'fixed', JSON.stringify(o));
    assert.equal(o.after.status, 'ok');
    assert.equal(o.after.found, '1.11.0-devenv-test');
    assert.ok(server!.log.some((l) => l.includes('fpm-1.11.0.gem')), 'the gem came from the loopback source');
    const again = await runCli(['fix', 'fpm', '--yes', '--json'], { env, cwd: t.dir });
    assert.equal(JSON.parse(again.stdout).fixes.find((x: { id: string }) => x.id === 'fpm').action, 'already-ok');
  });

  it('fpm: an unreachable source gives a clear error naming the source', async (tc) => {
    if (!requireReal(tc, 'gem', gem)) return;
    const env = await envFor('down', 'http://127.0.0.1:9/');
    const ctx = await testContext({ env, dir: t.dir });
    const [o] = await runFixes([{ ...fpm, needs: [] }], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', /gem install fpm from http:\/\/127\.0\.0\.1:9\/ failed/);
  });

  it('fpm without --yes and without a terminal: the plan is printed, nothing installed, exit 1', async (tc) => {
    if (!requireReal(tc, 'gem', gem)) return;
    const env = await envFor('consent', `${server!.url}/`);
    const r = await runCli(['fix', 'fpm'], { env, cwd: t.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /needs consent to: gem install/);
    await assert.rejects(fs.access(path.join(env.GEM_HOME, 'bin', 'fpm')));
  });

  // Regression: fpm looked in ~/.gem/ruby/*/bin while shellenv asked ruby (Debian: ~/.local/share/gem/ruby/<v>/bin),
  // so shellenv put fpm on PATH while doctor said it was missing.
  it('a real `gem install --user-install`: doctor finds fpm where shellenv puts it on PATH', async (tc) => {
    if (!requireReal(tc, 'gem', gem)) return;
    const home = path.join(t.dir, 'userhome');
    await fs.mkdir(home, { recursive: true });
    const env: Record<string, string | undefined> = { ...t.env, HOME: home, XDG_DATA_HOME: undefined, GEM_HOME: undefined, GEM_PATH: undefined };
    execFileSync('gem', ['install', '--user-install', '--local', '--no-document', path.join(t.dir, 'gemsrc', 'fpm-1.11.0.gem')], { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
    const d = await runCli(['doctor', '--json', '--only', 'fpm'], { env, cwd: t.dir });
    const c = checkFrom(d.stdout, 'fpm');
    assert.equal(c.status, 'warn', String(c.summary));
    const bin = /installed at (\S+)\/fpm but not on PATH/.exec(String(c.summary))?.[1];
    assert.ok(bin, String(c.summary));
    const sh = await runCli(['shellenv', '--shell', 'bash'], { env, cwd: t.dir });
    assert.ok(sh.stdout.includes(bin!), `shellenv does not put ${bin} on PATH:\n${sh.stdout}`);
    const withPath = await runCli(['doctor', '--json', '--only', 'fpm'], { env: { ...env, PATH: `${bin}:${env.PATH}` }, cwd: t.dir });
    assert.equal(checkFrom(withPath.stdout, 'fpm').status, 'ok');
  });

  it('--offline: the gem install is the person\'s step for later, never run (it would contact the gem source)', async () => {
    const env = await envFor('offline', 'https://rubygems.example.invalid/');
    const r = await runCli(['fix', 'fpm', '--offline', '--yes', '--json'], { env, cwd: t.dir });
    const o = JSON.parse(r.stdout).fixes.find((x: { id: string }) => x.id === 'fpm');
    if (o.before.status === 'ok') return; // fpm is installed for real on this machine: nothing to decide
    assert.equal(o.action, 'manual', JSON.stringify(o));
    assert.match(o.needsYou[0], /^gem install --no-document fpm .*when you have network: --offline contacts no host/);
    assert.equal(r.code, 1);
  });
});
