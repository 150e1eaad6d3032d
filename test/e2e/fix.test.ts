import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { startServer } from '../helpers/http.js';

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string) {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = await fs.lstat(p);
      out.push(`${path.relative(dir, p)} ${st.size} ${st.mode}`);
      if (e.isDirectory()) await walk(p);
    }
  }
  await walk(dir);
  return out.sort();
}

describe('devenv fix (end to end)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('without ids or --all and without a terminal: exit 2 with what to type', async () => {
    const r = await runCli(['fix'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /name the checks to fix, or pass --all/);
    assert.match(r.stderr, /devenv fix --all --dry-run/);
  });

  it('unknown id: exit 2', async () => {
    const r = await runCli(['fix', 'gov-ersion'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown check id: gov-ersion/);
  });

  it('ids and --all together: exit 2', async () => {
    const r = await runCli(['fix', 'go-version', '--all'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
  });

  it('--revert of a check that keeps no backup: exit 2', async () => {
    const r = await runCli(['fix', '--revert', 'gnu-tar'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing to revert for: gnu-tar/);
  });

  it('--dry-run prints the exact plan, changes nothing, and --json reports it', async () => {
    const index = [{ version: 'go1.99.1', stable: true, files: ['amd64', 'arm64'].map((a) => ({ filename: `go1.99.1.linux-${a}.tar.gz`, os: 'linux', arch: a, version: 'go1.99.1', sha256: 'c'.repeat(64), kind: 'archive' })) }];
    const server = await startServer({ '/dl/': JSON.stringify(index) });
    const root = await istioFixture(path.join(t.dir, 'istio'), { go: '1.99.0', files: { '.devenvrc.json': JSON.stringify({ go: { downloadBase: `${server.url}/dl/` } }) } });
    const before = [...(await listing(t.dir))];
    const human = await runCli(['fix', 'go-version', '--dry-run', '--dir', root], { env: t.env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /would fix/);
    assert.match(human.stdout, /^\s+1\. /m);
    assert.match(human.stdout, /Dry run: nothing was changed/);
    const json = await runCli(['fix', 'go-version', '--dry-run', '--json', '--dir', root], { env: t.env });
    const j = JSON.parse(json.stdout);
    assert.equal(j.dryRun, true);
    const f = j.fixes.find((x: { id: string }) => x.id === 'go-version');
    assert.equal(f.action, 'planned');
    assert.ok(f.steps.length > 0);
    for (const s of f.steps) assert.equal(typeof s.describe, 'string');
    assert.equal(f.before.status, 'fail');
    assert.equal(typeof f.durationMs, 'number', 'each fix says how long it took');
    assert.deepEqual(await listing(t.dir), before, 'dry run changed files');
    await server.close();
  });

  it('a fix of a check that already passes is a no-op, exit 0', async () => {
    const root = await istioFixture(path.join(t.dir, 'fine'), { go: '1.1' });
    const r = await runCli(['fix', 'gnu-tar', 'go-version', '--json', '--dir', root], { env: t.env });
    const j = JSON.parse(r.stdout);
    for (const f of j.fixes) assert.equal(f.action, 'already-ok', JSON.stringify(f));
    assert.equal(r.code, 0);
  });

  it('an explicit --config that does not exist is named, exit 2', async () => {
    const root = await istioFixture(path.join(t.dir, 'all'), { go: '1.1' });
    const r = await runCli(['fix', '--all', '--dry-run', '--json', '--dir', root, '--config', path.join(root, 'cfg.json')], { env: t.env });
    assert.equal(r.code, 2);
    // With --json the error is the {"error": …} object on stdout.
    assert.match(JSON.parse(r.stdout).error.message, /cfg\.json: file not found/);
    const human = await runCli(['fix', '--all', '--dry-run', '--dir', root, '--config', path.join(root, 'cfg.json')], { env: t.env });
    assert.equal(human.code, 2);
    assert.match(human.stderr, /cfg\.json: file not found/);
  });

  it('fix --all --dry-run: every failing fixer lists its exact steps and nothing changes', async () => {
    const server = await startServer({
      '/dl/': JSON.stringify([
        { version: 'go1.99.3', stable: true, files: [{ filename: 'go1.99.3.linux-amd64.tar.gz', os: 'linux', arch: 'amd64', version: 'go1.99.3', sha256: 'a'.repeat(64), kind: 'archive' }, { filename: 'go1.99.3.linux-arm64.tar.gz', os: 'linux', arch: 'arm64', version: 'go1.99.3', sha256: 'b'.repeat(64), kind: 'archive' }] },
      ]),
    });
    try {
      const root = await istioFixture(path.join(t.dir, 'everything'), {
        go: '1.99.0',
        files: {
          'Makefile.core.mk': "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)\nOUT_DIR := $(GO_TOP)/out\n",
          '.devenvrc.json': JSON.stringify({ go: { downloadBase: `${server.url}/dl/` }, gem: { source: `${server.url}/gems/` } }),
          'pilot/docker/Dockerfile.pilot': 'FROM gcr.io/distroless/static:latest\n',
        },
      });
      const env = { ...t.env, GOPATH: undefined, DOCKER_HOST: `unix://${path.join(t.dir, 'no-daemon.sock')}`, GEM_HOME: path.join(t.dir, 'gems') };
      const before = await listing(t.dir);
      const r = await runCli(['fix', '--all', '--dry-run', '--json', '--dir', root], { env, timeoutMs: 60_000 });
      // gopath-layout's and docker-daemon's plans are steps for the person: even a real run would not make it pass, so exit 1.
      assert.equal(r.code, 1, r.stderr);
      const fixes = JSON.parse(r.stdout).fixes as { id: string; action: string; steps: { describe: string }[] }[];
      const by = Object.fromEntries(fixes.map((f) => [f.id, f]));
      // Steps only the person can do are "manual", never "planned" as if devenv would do them:
      // the layout move, and starting a daemon behind a DOCKER_HOST devenv does not manage.
      assert.equal(by['gopath-layout']?.action, 'manual');
      assert.equal(by['docker-daemon']?.action, 'manual');
      for (const id of ['go-version', 'gopath-layout', 'docker-daemon', 'fpm']) {
        assert.ok(by[id], `${id} missing from ${Object.keys(by)}`);
        if (!['gopath-layout', 'docker-daemon'].includes(id)) assert.equal(by[id].action, 'planned', id);
        assert.ok(by[id].steps.length > 0, id);
      }
      assert.match(by['go-version'].steps[0].describe, new RegExp(`download ${server.url}/dl/go1\\.99\\.3\\.linux-(amd64|arm64)\\.tar\\.gz \\(sha256 [ab]{64}\\)`));
      assert.match(by.fpm.steps[0].describe, /^gem install --no-document fpm --clear-sources --source http/);
      assert.deepEqual(await listing(t.dir), before, 'a dry run changed files');
      assert.ok(!server.log.some((l) => l.includes('.tar.gz')), 'a dry run downloaded an archive');
    } finally {
      await server.close();
    }
  });
});
