/**
 * devenv in a real pseudo-terminal (tmux, 120×40), as a person uses it: a bare
 * `devenv fix` on a 1.4-shaped checkout whose two failing checks both need
 * consent — fpm (gem install from a loopback gem source) and kubectl-cache
 * (download through a loopback mirror, then a Dockerfile edit).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireReal } from '../helpers/daemons.js';
import { binRun, istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { haveTmux, openTty } from '../helpers/tty.js';

const KUBECTL_URL = 'https://storage.googleapis.com/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl';
const DOCKERFILE = `FROM docker.io/istio/base:1.4-dev.4\n\n# kubectl\nADD ${KUBECTL_URL} /usr/bin/kubectl\nRUN chmod +x /usr/bin/kubectl\n`;
const MAKEFILE = ['GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)', "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)", 'OUT_DIR := $(GO_TOP)/out', 'GO_VERSION_REQUIRED:=1.10', 'VERSION ?= 1.4-dev', ''].join('\n');

function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A gem named fpm, built and indexed here, served with the kubectl artifacts on one loopback server. */
async function serveArtifacts(dir: string): Promise<TestServer> {
  const src = path.join(dir, 'gemsrc');
  await fs.mkdir(path.join(src, 'bin'), { recursive: true });
  await fs.writeFile(path.join(src, 'bin', 'fpm'), "#!/usr/bin/env ruby\nputs '1.11.0-devenv-test'\n", { mode: 0o755 });
  await fs.writeFile(
    path.join(src, 'fpm.gemspec'),
    "Gem::Specification.new do |s|\n s.name = 'fpm'\n s.version = '1.11.0'\n s.summary = 'test double of fpm'\n s.authors = ['devenv']\n s.license = 'MIT'\n s.files = ['bin/fpm']\n s.bindir = 'bin'\n s.executables = ['fpm']\nend\n",
  );
  const env = { ...process.env, HOME: dir };
  execFileSync('gem', ['build', 'fpm.gemspec'], { cwd: src, env, stdio: 'ignore' });
  const repo = path.join(dir, 'gemrepo');
  await fs.mkdir(path.join(repo, 'gems'), { recursive: true });
  await fs.copyFile(path.join(src, 'fpm-1.11.0.gem'), path.join(repo, 'gems', 'fpm-1.11.0.gem'));
  execFileSync('gem', ['generate_index', '--directory', repo], { env, stdio: 'ignore' });
  const routes: Record<string, Buffer | string> = {};
  async function walk(d: string) {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else routes['/gems/' + path.relative(repo, p)] = await fs.readFile(p);
    }
  }
  await walk(repo);
  const kubectl = Buffer.from('#!/bin/sh\necho kubectl v1.13.10\n');
  routes['/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl'] = kubectl;
  routes['/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256'] = `${createHash('sha256').update(kubectl).digest('hex')}\n`;
  return startServer(routes);
}

const openQuestions = (screen: string) => screen.split('\n').filter((l) => /Run this step\? \(y\/N\)/.test(l)).length;

describe('devenv in a real terminal (tmux 120×40)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer | undefined;
  const ready = Boolean(which('gem') && haveTmux());

  before(async () => {
    t = await tempEnv();
    if (ready) server = await serveArtifacts(t.dir);
  });
  after(async () => {
    await server?.close();
    await t.cleanup();
  });

  /** A fresh checkout at $GOPATH/src/istio.io/istio where exactly fpm and kubectl-cache fail. */
  async function checkout(name: string) {
    const gopath = path.join(t.dir, name);
    const gemHome = path.join(t.dir, `${name}-gems`);
    const root = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), {
      files: {
        'Makefile.core.mk': MAKEFILE,
        'docker/Dockerfile.kubectl': DOCKERFILE,
        '.devenvrc.json': JSON.stringify({
          prefer: 'mirror',
          mirrors: { urls: { 'https://storage.googleapis.com/': `${server!.url}/` } },
          gem: { source: `${server!.url}/gems/` },
          // Docker is not part of this scenario (no daemon is touched); HUB's registry needs no login here.
          checks: { disable: ['docker-daemon', 'distroless-images', 'registry-login', 'go-vendor'] },
        }),
      },
    });
    const env = {
      ...t.env,
      GOPATH: gopath,
      GO111MODULE: 'on',
      GEM_HOME: gemHome,
      GEM_PATH: gemHome,
      XDG_CACHE_HOME: path.join(t.dir, `${name}-cache`),
      PATH: `${path.join(gemHome, 'bin')}:${t.env.PATH}`,
      HUB: 'localhost:5000/devenv-test',
      TAG: '1.4-dev',
      DOCKER_HOST: `unix://${path.join(t.dir, 'no-docker.sock')}`,
      NO_COLOR: '1',
      CI: undefined,
      PS1: '$ ',
    };
    return { root, gopath, gemHome, env };
  }

  const devenv = (args: string) => `node ${binRun} ${args}; echo "EXIT:$?"`;

  it('a bare `devenv fix`: the checklist, Enter accepts it, two consent questions one after the other, a `y` answers one only, then the summary and exit 0', async (tc) => {
    if (!requireReal(tc, 'gem and tmux', ready)) return;
    const { root, gemHome, env, gopath } = await checkout('bare');
    const tty = await openTty({ width: 120, height: 40, env, cwd: root });
    try {
      tty.type(devenv('fix'));
      tty.keys('Enter');
      await tty.waitFor(/Fix which checks\?/);
      const list = tty.screen();
      assert.match(list, /\[fpm\]/);
      assert.match(list, /\[kubectl-cache\]/);
      tty.keys('Enter');

      // First question: exactly one on screen, with the whole step shown above it.
      await tty.waitFor(/Run this step\? \(y\/N\)/);
      await new Promise((r) => setTimeout(r, 1500)); // give a second fix time to (wrongly) open its question too
      let screen = tty.screen();
      assert.equal(openQuestions(screen), 1, `more than one question on screen:\n${screen}`);
      const first = /\[(fpm|kubectl-cache)\] — step \d of \d needs your consent/.exec(screen.split('\n').filter((l) => /needs your consent/.test(l)).at(-1) ?? '')?.[1];
      assert.ok(first, screen);
      if (first === 'fpm') assert.match(screen, new RegExp(`runs: +gem install --no-document fpm --clear-sources --source ${server!.url}/gems/`));
      else assert.match(screen, /touches: +\S*docker\/Dockerfile\.kubectl/);

      // One `y` answers this question and nothing else: the second question stays open, unanswered.
      tty.type('y');
      tty.keys('Enter');
      const second = first === 'fpm' ? 'kubectl-cache' : 'fpm';
      await tty.waitFor(new RegExp(`\\[${second}\\] — step \\d of \\d needs your consent[\\s\\S]*Run this step\\? \\(y/N\\)`));
      await new Promise((r) => setTimeout(r, 1000));
      screen = tty.screen();
      assert.equal(openQuestions(screen), 1, screen);
      assert.doesNotMatch(tty.history(), /EXIT:\d/, 'the run ended without the second answer');
      tty.type('y');
      tty.keys('Enter');

      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 180_000);
      const out = tty.history();
      assert.equal(code, '0', out);
      assert.match(out, /fpm \(packaging\) \[fpm\]: fixed/);
      assert.match(out, /kubectl for Dockerfile\.kubectl \[kubectl-cache\]: fixed/);
      assert.match(out, /All selected checks pass/);
      assert.doesNotMatch(out, /ExitPromptError|force closed/);
      await fs.access(path.join(gemHome, 'bin', 'fpm'));
      assert.match(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), /^ADD kubectl \/usr\/bin\/kubectl$/m);
      await fs.access(path.join(gopath, 'out/linux_amd64/release/docker_build/docker.kubectl/kubectl'));
    } finally {
      await tty.close();
    }
  });

  it('declining one step skips that fix and the other goes on (exit 1, the declined one named)', async (tc) => {
    if (!requireReal(tc, 'gem and tmux', ready)) return;
    const { root, gemHome, env } = await checkout('decline');
    const tty = await openTty({ width: 120, height: 40, env, cwd: root });
    try {
      tty.type(devenv('fix fpm kubectl-cache'));
      tty.keys('Enter');
      await tty.waitFor(/Run this step\? \(y\/N\)/);
      const first = /\[(fpm|kubectl-cache)\] — step/.exec(tty.screen())![1];
      tty.type('n');
      tty.keys('Enter');
      await tty.waitFor(/needs your consent[\s\S]*needs your consent[\s\S]*Run this step\? \(y\/N\)/);
      tty.type('y');
      tty.keys('Enter');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 180_000);
      const out = tty.history();
      assert.equal(code, '1', out);
      const second = first === 'fpm' ? 'kubectl-cache' : 'fpm';
      assert.match(out, new RegExp(`\\[${first}\\]: you declined`));
      assert.match(out, new RegExp(`\\[${second}\\]: fixed`));
      assert.match(out, new RegExp(`still not ok: ${first} \\(declined\\)`));
      const dockerfile = await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8');
      const fpmThere = await fs.access(path.join(gemHome, 'bin', 'fpm')).then(() => true, () => false);
      assert.equal(fpmThere, first !== 'fpm');
      assert.equal(dockerfile === DOCKERFILE, first === 'kubectl-cache');
    } finally {
      await tty.close();
    }
  });

  it('Ctrl-C at a question: exit 130, a clean summary of what was and was not done, nothing changed, no stack', async (tc) => {
    if (!requireReal(tc, 'gem and tmux', ready)) return;
    const { root, gemHome, env } = await checkout('interrupt');
    const tty = await openTty({ width: 120, height: 40, env, cwd: root });
    try {
      tty.type(devenv('fix fpm kubectl-cache'));
      tty.keys('Enter');
      await tty.waitFor(/Run this step\? \(y\/N\)/);
      tty.keys('C-c');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 60_000);
      const out = tty.history();
      assert.equal(code, '130', out);
      assert.match(out, /Interrupted \(Ctrl-C\)\. Done: nothing changed\. Not done: .*fpm/);
      assert.match(out, /Not done: .*kubectl-cache/);
      assert.doesNotMatch(out, /ExitPromptError|force closed|\n\s+at .+:\d+:\d+/);
      assert.equal(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), DOCKERFILE);
      await assert.rejects(fs.access(path.join(gemHome, 'bin', 'fpm')));
    } finally {
      await tty.close();
    }
  });

  it('doctor --fix on a terminal: the report, then the same questions one at a time, then the fix summary', async (tc) => {
    if (!requireReal(tc, 'gem and tmux', ready)) return;
    const { root, env } = await checkout('doctorfix');
    const tty = await openTty({ width: 120, height: 40, env, cwd: root });
    try {
      tty.type(devenv('doctor --fix'));
      tty.keys('Enter');
      await tty.waitFor(/\d+ ok, \d+ warnings?, 2 failed[^]*Run this step\? \(y\/N\)/);
      assert.equal(openQuestions(tty.screen()), 1);
      tty.type('y');
      tty.keys('Enter');
      await tty.waitFor(/needs your consent[^]*needs your consent[^]*Run this step\? \(y\/N\)/);
      assert.equal(openQuestions(tty.screen()), 1);
      tty.type('y');
      tty.keys('Enter');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 180_000);
      const out = tty.history();
      assert.equal(code, '0', out);
      assert.match(out, /\[fpm\]: fixed/);
      assert.match(out, /\[kubectl-cache\]: fixed/);
    } finally {
      await tty.close();
    }
  });

  it('Ctrl-C at the checklist: exit 130, nothing changed', async (tc) => {
    if (!requireReal(tc, 'gem and tmux', ready)) return;
    const { root, env } = await checkout('checklist');
    const tty = await openTty({ width: 80, height: 30, env, cwd: root });
    try {
      tty.type(devenv('fix'));
      tty.keys('Enter');
      await tty.waitFor(/Fix which checks\?/);
      tty.keys('C-c');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 60_000);
      assert.equal(code, '130', tty.history());
      assert.match(tty.history(), /Interrupted \(Ctrl-C\) at the checklist: nothing was changed\./);
      assert.equal(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), DOCKERFILE);
    } finally {
      await tty.close();
    }
  });

  it('CI=true on a terminal: no checklist and no question, never waits for input', async (tc) => {
    if (!requireReal(tc, 'gem and tmux', ready)) return;
    const { root, env } = await checkout('ci');
    const tty = await openTty({ width: 120, height: 40, env: { ...env, CI: 'true' }, cwd: root });
    try {
      tty.type(devenv('fix'));
      tty.keys('Enter');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 60_000);
      assert.equal(code, '2', tty.history());
      assert.match(tty.history(), /name the checks to fix, or pass --all/);
      tty.type(devenv('fix fpm kubectl-cache'));
      tty.keys('Enter');
      const [, second] = await tty.waitFor(/EXIT:\d\n[^]*EXIT:(\d+)/, 60_000);
      const out = tty.history();
      assert.equal(second, '1', out);
      assert.doesNotMatch(out, /Run this step\?/);
      assert.match(out, /needs consent to: gem install/);
    } finally {
      await tty.close();
    }
  });

  it('without a terminal: never asks, never waits, and every note is printed (the mirror used)', async (tc) => {
    if (!requireReal(tc, 'gem', ready)) return;
    const { root, env } = await checkout('plain');
    const asked = await runCli(['fix', 'kubectl-cache', '--dir', root], { env, timeoutMs: 30_000 });
    assert.equal(asked.code, 1);
    assert.match(asked.stdout, /needs consent to: back up docker\/Dockerfile\.kubectl/);
    const r = await runCli(['fix', 'kubectl-cache', '--yes', '--dir', root], { env: { ...env, CI: 'true' }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`kubectl: from ${server!.url}/kubernetes-release/`), `the mirror note was dropped:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\x1b\[/, 'escape codes in a plain log');
  });
});
