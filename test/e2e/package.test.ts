/**
 * The two ways devenv ships (README "Install"): the single executable that
 * `npm run package` builds (run here with a PATH that holds no node and no
 * node_modules anywhere near it), and the `npm pack` tarball installed
 * globally into a temp prefix. scripts/test.sh runs `npm run package` before
 * the tests; under CI=true a missing or stale binary fails.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { dockerHost, requireReal } from '../helpers/daemons.js';
import { checkFrom, istioFixture, repoRoot, tempEnv } from '../helpers/env.js';
import { startServer } from '../helpers/http.js';
import { DEPS, DOCKERFILE_KUBECTL, INIT_HELM_SH, INIT_SH, MAKEFILE, SHA, tarball } from '../helpers/istio14.js';

const pkg = JSON.parse(await fs.readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const seaBinary = path.join(repoRoot, 'dist', `devenv-${process.platform}-${process.arch}`);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env: Record<string, string | undefined>; cwd: string; timeoutMs?: number }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: Object.fromEntries(Object.entries(opts.env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `command -v` through a clean bash; undefined when the tool is not installed. */
function which(tool: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('bash', ['--norc', '--noprofile', '-c', `command -v ${tool}`], (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

/** Fails (CI) or skips (locally) unless the binary exists and is newer than the bundles it was made from. */
async function freshBinary(t: TestContext): Promise<boolean> {
  const st = await fs.stat(seaBinary).catch(() => undefined);
  if (!requireReal(t, `${path.relative(repoRoot, seaBinary)} (npm run package)`, st)) return false;
  for (const bundle of ['core.cjs', 'commands.cjs']) {
    const b = await fs.stat(path.join(repoRoot, 'dist', bundle));
    assert.ok(st!.mtimeMs >= b.mtimeMs, `${seaBinary} is older than dist/${bundle}: run \`npm run package\``);
  }
  return true;
}

describe('the single executable (npm run package)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let env: Record<string, string | undefined>;
  let tools: string;
  before(async () => {
    t = await tempEnv();
    // PATH: a dir of links to the tools doctor runs, and nothing else (no node).
    tools = path.join(t.dir, 'tools');
    await fs.mkdir(tools);
    for (const tool of ['go', 'docker', 'git', 'tar', 'ruby', 'gem', 'kubectl', 'helm']) {
      const at = await which(tool);
      if (at) await fs.symlink(at, path.join(tools, tool));
    }
    env = {
      ...t.env,
      PATH: tools,
      // the test daemon when the harness runs one; otherwise a socket that is not there (never the host's daemon)
      DOCKER_HOST: dockerHost() ?? `unix://${path.join(t.dir, 'no-docker.sock')}`,
      NODE_PATH: undefined,
    };
  });
  after(() => t.cleanup());

  it('runs doctor --json with no node on PATH: real go and tar found, requirement read from the checkout', async (tc) => {
    if (!(await freshBinary(tc))) return;
    for (const tool of ['go', 'docker', 'git', 'tar', 'ruby']) {
      requireReal(tc, `${tool} on PATH`, await fs.lstat(path.join(tools, tool)).catch(() => undefined));
    }
    await assert.rejects(fs.access(path.join(tools, 'node')), 'no node in the PATH dir');
    const root = await istioFixture(path.join(t.dir, 'istio'), { go: '1.13', goVersionRequired: '1.10', version: '1.4-dev' });
    const goVersion = (await run(path.join(tools, 'go'), ['env', 'GOVERSION'], { env, cwd: t.dir })).stdout.trim().replace(/^go/, '');

    const r = await run(seaBinary, ['doctor', '--json'], { env, cwd: root });
    assert.equal(r.stderr, '', 'nothing on stderr with --json');
    const j = JSON.parse(r.stdout);
    assert.equal(j.devenv, pkg.version);
    assert.equal(j.root, root);
    assert.deepEqual(j.project, { kind: 'istio', version: '1.4-dev' });
    const go = checkFrom(r.stdout, 'go-version');
    assert.equal(go.found, goVersion, 'the go linked into PATH was run');
    assert.equal(go.required, '>= 1.13');
    assert.equal(go.source, 'go.mod:3');
    assert.equal(checkFrom(r.stdout, 'gnu-tar').status, 'ok');
    if (dockerHost()) assert.equal(checkFrom(r.stdout, 'docker-daemon').status, 'ok', 'the test daemon answered');
    assert.equal(r.code, j.summary.fail > 0 ? 1 : 0);
  });

  it('runs env init, then doctor sees HUB/TAG; fix --all --dry-run, shellenv and info run too', async (tc) => {
    if (!(await freshBinary(tc))) return;
    const root = await istioFixture(path.join(t.dir, 'istio-env'));
    const init = await run(seaBinary, ['env', 'init', '--hub', 'docker.io/jane', '--tag', '1.4-dev'], { env, cwd: root });
    assert.equal(init.code, 0, init.stderr);
    assert.match(await fs.readFile(path.join(root, '.istiorc.mk'), 'utf8'), /^HUB \?= docker\.io\/jane$/m);
    const hub = await run(seaBinary, ['doctor', '--json', '--only', 'hub-tag'], { env, cwd: root });
    assert.equal(checkFrom(hub.stdout, 'hub-tag').status, 'ok');

    const before = await fs.readdir(root);
    const doc = JSON.parse((await run(seaBinary, ['doctor', '--json'], { env, cwd: root })).stdout) as { checks: { id: string; fix: string | null }[] };
    const fixable = doc.checks.filter((c) => c.fix).map((c) => c.id);
    const dry = await run(seaBinary, ['fix', '--all', '--dry-run', '--json'], { env, cwd: root });
    assert.ok(dry.code === 0 || dry.code === 1, `fix --dry-run exit ${dry.code}: ${dry.stderr}`);
    const plan = JSON.parse(dry.stdout) as { dryRun: boolean; fixes: { id: string }[] };
    assert.equal(plan.dryRun, true);
    assert.ok(fixable.length > 0, 'the fixture leaves something to fix');
    for (const id of fixable) assert.ok(plan.fixes.some((f) => f.id === id), `${id}, which doctor says has a fix, is in the plan`);
    assert.deepEqual(await fs.readdir(root), before, 'a dry run changes nothing');

    const sh = await run(seaBinary, ['shellenv', '--shell', 'bash'], { env, cwd: root });
    assert.equal(sh.code, 0, sh.stderr);
    assert.match(sh.stdout, /^export GO111MODULE='on'$/m);
    const info = await run(seaBinary, ['info', '--json'], { env, cwd: root });
    assert.equal(info.code, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout).devenv, pkg.version);
  });

  it('fixes what make init downloads: each artifact streams through the writer thread into every place, byte for byte', async (tc) => {
    if (!(await freshBinary(tc))) return;
    // over a batch (256 KiB) and not a multiple of one: several batches, and a short last one, for every destination
    const envoy = Buffer.concat([Buffer.from('#!/bin/sh\necho envoy debug\n'), randomBytes(700_001)]);
    // a program (devenv runs only those): a script that exits before its padding, over one batch in size
    const kubectl = Buffer.concat([Buffer.from('#!/bin/sh\necho kubectl v1.13.10\nexit 0\n'), randomBytes(300_000)]);
    const server = await startServer({
      [`/istio-build/proxy/envoy-debug-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', envoy),
      [`/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', 'release'),
      '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': await tarball(t.dir, 'linux-amd64/helm', 'helm'),
      '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
      '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': `${createHash('sha256').update(kubectl).digest('hex')}\n`,
    });
    try {
      const cfg = path.join(t.dir, 'sea-fix.json');
      await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/` } } }));
      const gopath = path.join(t.dir, 'sea-fix');
      const root = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), {
        files: { 'Makefile.core.mk': MAKEFILE, 'istio.deps': DEPS, 'bin/init.sh': INIT_SH, 'bin/init_helm.sh': INIT_HELM_SH, 'docker/Dockerfile.kubectl': DOCKERFILE_KUBECTL },
      });
      const fixEnv = { ...env, GOPATH: gopath, GO111MODULE: 'on', DEVENV_CONFIG: cfg };
      const r = await run(seaBinary, ['fix', 'envoy-binaries', 'helm', 'kubectl-cache', '--yes', '--json'], { env: fixEnv, cwd: root, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const f of JSON.parse(r.stdout).fixes as { id: string; action: string }[]) assert.equal(f.action, 'fixed', f.id);
      for (const place of [`out/linux_amd64/debug/envoy-debug-${SHA}`, 'out/linux_amd64/debug/envoy', 'out/linux_amd64/release/envoy', 'bin/envoy']) {
        assert.ok((await fs.readFile(path.join(gopath, place))).equals(envoy), `${place} holds the debug envoy`);
      }
      assert.ok((await fs.readFile(path.join(gopath, 'out/linux_amd64/release/docker_build/docker.kubectl/kubectl'))).equals(kubectl));
    } finally {
      await server.close();
    }
  });

  it('--version and version name the node it carries; help <command> works; an unknown command suggests the closest (exit 127)', async (tc) => {
    if (!(await freshBinary(tc))) return;
    const userAgent = `devenv/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`;
    const v = await run(seaBinary, ['--version'], { env, cwd: t.dir });
    assert.equal(v.stdout.trim(), userAgent);
    const version = await run(seaBinary, ['version'], { env, cwd: t.dir });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), userAgent);
    const help = await run(seaBinary, ['help', 'doctor'], { env, cwd: t.dir });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /\$ devenv doctor /);
    const bad = await run(seaBinary, ['doctr', '--quiet'], { env, cwd: t.dir });
    assert.equal(bad.code, 127);
    assert.match(bad.stderr, /doctr is not a devenv command/);
    assert.match(bad.stderr, /Did you mean doctor\?/);
    assert.match(bad.stderr, /^ {2}devenv doctor --quiet$/m);
    assert.doesNotMatch(bad.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    const json = await run(seaBinary, ['doctr', '--json'], { env, cwd: t.dir });
    assert.equal(json.code, 127);
    assert.equal(json.stderr, '');
    assert.deepEqual(JSON.parse(json.stdout), {
      error: { message: 'doctr is not a devenv command.', code: 'not_found', suggestions: ['devenv doctor --json', 'devenv help'], exitCode: 127 },
    });
    const script = await run(seaBinary, ['autocomplete', 'script', 'bash'], { env, cwd: t.dir });
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /^complete -o default -F _devenv_complete devenv$/m);
  });
});

describe('the npm tarball (npm pack, npm install -g)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('installs into a temp prefix, with no dependencies to fetch, as a working devenv', async () => {
    const npmEnv = { ...t.env, npm_config_cache: path.join(t.dir, 'npm-cache'), npm_config_update_notifier: 'false' };
    // --ignore-scripts: the suite's own build is packed (prepack would rebuild dist/ under the other tests)
    const pack = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', t.dir], { env: npmEnv, cwd: repoRoot, timeoutMs: 120_000 });
    assert.equal(pack.code, 0, pack.stderr);
    const tgz = path.join(t.dir, `devenv-${pkg.version}.tgz`);
    await fs.access(tgz);
    const prefix = path.join(t.dir, 'prefix');
    const inst = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tgz], { env: npmEnv, cwd: t.dir, timeoutMs: 120_000 });
    assert.equal(inst.code, 0, inst.stderr);
    const installed = path.join(prefix, 'lib', 'node_modules', 'devenv');
    await assert.rejects(fs.access(path.join(installed, 'node_modules')), 'the package brings no node_modules');

    const devenv = path.join(prefix, 'bin', 'devenv');
    const env = { ...t.env, PATH: `${path.join(prefix, 'bin')}:${t.env.PATH}` };
    const v = await run(devenv, ['--version'], { env, cwd: t.dir });
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), `devenv/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`);
    const d = await run('devenv', ['doctor', '--json', '--only', 'go-version'], { env, cwd: t.dir });
    assert.equal(JSON.parse(d.stdout).devenv, pkg.version, d.stderr);
    // the conventions need nothing outside the package either
    const version = await run(devenv, ['version'], { env, cwd: t.dir });
    assert.equal(version.stdout, v.stdout, version.stderr);
    const help = await run(devenv, ['help', 'bundle', 'create'], { env, cwd: t.dir });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /\$ devenv bundle create /);
    const bad = await run(devenv, ['doctr'], { env, cwd: t.dir });
    assert.equal(bad.code, 127);
    assert.match(bad.stderr, /Did you mean doctor\?/);
    const script = await run(devenv, ['autocomplete', 'script', 'fish'], { env, cwd: t.dir });
    assert.equal(script.code, 0, script.stderr);
    assert.match(script.stdout, /^complete -c devenv /m);
  });
});
