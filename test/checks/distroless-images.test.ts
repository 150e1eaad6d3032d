import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { distrolessImages, requiredImages } from '../../checks/distroless-images.js';
import { runFixes, runOneCheck } from '../../src/engine/engine.js';
import { checkFrom, fakeExec, istioFixture, runCli, tempEnv, testContext } from '../helpers/env.js';
import { docker, dockerHost, importTinyImage, registryAddr, requireReal } from '../helpers/daemons.js';

const DOCKERFILES = {
  'pilot/docker/Dockerfile.pilot': 'FROM gcr.io/distroless/static:latest as distroless\nFROM distroless\nCOPY pilot-discovery /usr/local/bin/\n',
  'pilot/docker/Dockerfile.proxyv2': 'ARG BASE=gcr.io/distroless/cc\nFROM ${BASE}:latest\n',
  'mixer/docker/Dockerfile.mixer': 'FROM gcr.io/distroless/static\n',
  'docker/Dockerfile.base': 'FROM ubuntu:xenial\n',
};

describe('distroless-images: reading the checkout', () => {
  it('finds exactly the images under a mirror rule, with the Dockerfiles that need them', async () => {
    const t = await tempEnv();
    try {
      const root = await istioFixture(path.join(t.dir, 'istio'), { files: DOCKERFILES });
      const ctx = await testContext({ env: t.env, dir: root });
      const req = await requiredImages(ctx);
      assert.deepEqual(
        req.map((r) => [r.image, r.mirror, r.usedBy.sort()]),
        [
          ['gcr.io/distroless/cc:latest', 'cistio/distroless-cc:latest', ['pilot/docker/Dockerfile.proxyv2:2']],
          ['gcr.io/distroless/static:latest', 'cistio/distroless-static:latest', ['mixer/docker/Dockerfile.mixer:1', 'pilot/docker/Dockerfile.pilot:1']],
        ],
      );
    } finally {
      await t.cleanup();
    }
  });

  it('upstream first: tries the upstream pull with the configured timeout, then the mirror (fake table)', async () => {
    const t = await tempEnv();
    try {
      const root = await istioFixture(path.join(t.dir, 'istio'), { files: { 'Dockerfile': 'FROM gcr.io/distroless/static\n' } });
      await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ images: { upstreamTimeoutMs: 1234 } }));
      const inspect = (ref: string, ok: boolean, id = 'sha256:1') => ({
        cmd: 'docker',
        args: ['image', 'inspect', '--format', '{{json .Id}} {{json .RepoTags}} {{json .RepoDigests}}', ref],
        ...(ok ? { stdout: `"${id}" ["${ref}"] []` } : { exitCode: 1, stderr: `Error: No such image: ${ref}` }),
      });
      let upstreamTagged = false;
      const table = fakeExec([
        { cmd: 'docker', args: ['pull', 'gcr.io/distroless/static:latest'], exitCode: 1, stderr: 'Error response from daemon: Get "https://gcr.io/v2/": dial tcp: i/o timeout' },
        { cmd: 'docker', args: ['pull', 'cistio/distroless-static:latest'] },
        { cmd: 'docker', args: ['tag', 'cistio/distroless-static:latest', 'gcr.io/distroless/static:latest'] },
        { cmd: 'docker', args: ['rmi', 'cistio/distroless-static:latest'] },
      ]);
      let mirrorInspects = 0;
      const exec: typeof table = Object.assign(async (cmd: string, args: readonly string[], o?: object) => {
        if (args[0] === 'image' && args[1] === 'inspect') {
          const ref = args[4];
          if (ref === 'gcr.io/distroless/static:latest') return fakeExec([inspect(ref, upstreamTagged)])(cmd, args, o);
          mirrorInspects++;
          return fakeExec([inspect(ref, mirrorInspects > 1)])(cmd, args, o);
        }
        if (args[0] === 'tag') upstreamTagged = true;
        return table(cmd, args, o);
      }, { calls: table.calls });
      const ctx = await testContext({ env: t.env, dir: root, exec });
      const [o] = await runFixes([{ ...distrolessImages, needs: [] }], ctx, { timeoutMs: 5000 });
      assert.equal(o.action, 'fixed', o.message);
      assert.deepEqual(table.calls, [
        'docker pull gcr.io/distroless/static:latest',
        'docker pull cistio/distroless-static:latest',
        'docker tag cistio/distroless-static:latest gcr.io/distroless/static:latest',
        'docker rmi cistio/distroless-static:latest',
      ]);
      assert.match(o.plan!.steps[0].describe, /docker pull gcr\.io\/distroless\/static:latest \(give up after 1s\), else:/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('distroless-images against a real Docker engine and registry', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let host: string | undefined;
  let reg: string | undefined;
  const created: string[] = [];

  before(async () => {
    t = await tempEnv();
    host = dockerHost();
    reg = registryAddr();
    if (!host || !reg) return;
    // The mirror: small images made here, pushed to the loopback registry, then removed locally.
    for (const [name, repos] of [['static', ['cistio', 'partial']], ['cc', ['cistio']]] as const) {
      for (const repo of repos) {
        const ref = `${reg}/${repo}/distroless-${name}:latest`;
        await importTinyImage(host, ref, `distroless-${name}`);
        const p = await docker(host, ['push', ref]);
        assert.equal(p.code, 0, p.stderr);
        await docker(host, ['rmi', ref]);
      }
    }
  });
  after(async () => {
    if (host) for (const ref of created) await docker(host, ['rmi', ref]);
    await t.cleanup();
  });

  async function fixture(tc: TestContext, name: string, mirrorPrefix: string, extra: object = {}) {
    if (!requireReal(tc, 'a harness dockerd (DEVENV_TEST_DOCKER_HOST)', host) || !requireReal(tc, 'a harness registry (DEVENV_TEST_REGISTRY)', reg)) return undefined;
    const root = await istioFixture(path.join(t.dir, name), { files: DOCKERFILES });
    const cfg = path.join(t.dir, `${name}.json`);
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { images: { 'gcr.io/distroless/': `${reg}/${mirrorPrefix}/distroless-` } }, ...extra }));
    const env = { ...t.env, DOCKER_HOST: host, DEVENV_CONFIG: cfg };
    return { root, env };
  }

  async function tags(): Promise<string[]> {
    const r = await docker(host!, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    return r.stdout.split('\n').filter((x) => x && !x.endsWith(':<none>')).sort();
  }

  async function removeUpstreamTags() {
    for (const ref of ['gcr.io/distroless/static:latest', 'gcr.io/distroless/cc:latest']) await docker(host!, ['rmi', ref]);
  }

  it('--dry-run prints the pull/tag/rmi steps and changes nothing', async (tc) => {
    const f = await fixture(tc, 'dry', 'cistio');
    if (!f) return;
    await removeUpstreamTags();
    const before = await tags();
    const r = await runCli(['fix', 'distroless-images', '--dry-run', '--dir', f.root], { env: f.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`docker pull ${reg}/cistio/distroless-static:latest; docker tag ${reg}/cistio/distroless-static:latest gcr.io/distroless/static:latest; verify .*; docker rmi ${reg}/cistio/distroless-static:latest`));
    assert.match(r.stdout, /distroless-cc:latest/);
    assert.doesNotMatch(r.stdout, /docker pull gcr\.io/, 'prefer: mirror never tries the upstream');
    assert.deepEqual(await tags(), before);
  });

  it('fix pulls, tags, verifies and untags; a second fix is a no-op; a user\'s extra tag survives', async (tc) => {
    const f = await fixture(tc, 'full', 'cistio');
    if (!f) return;
    await removeUpstreamTags();
    // The user already has the static image under a tag of their own.
    const pulled = await docker(host!, ['pull', `${reg}/cistio/distroless-static:latest`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await docker(host!, ['tag', `${reg}/cistio/distroless-static:latest`, 'mine/keep:1']);
    await docker(host!, ['rmi', `${reg}/cistio/distroless-static:latest`]);
    created.push('mine/keep:1', 'gcr.io/distroless/static:latest', 'gcr.io/distroless/cc:latest');

    const doc = await runCli(['doctor', '--json', '--only', 'distroless-images', '--dir', f.root], { env: f.env });
    const c = checkFrom(doc.stdout, 'distroless-images');
    assert.equal(c.status, 'fail');
    assert.match(String(c.summary), /missing gcr\.io\/distroless\/cc:latest, gcr\.io\/distroless\/static:latest/);

    const r = await runCli(['fix', 'distroless-images', '--yes', '--json', '--dir', f.root], { env: f.env, timeoutMs: 120_000 });
    const j = JSON.parse(r.stdout);
    const o = j.fixes.find((x: { id: string }) => x.id === 'distroless-images');
    assert.equal(o.action, 'fixed', JSON.stringify(o));
    assert.equal(o.after.status, 'ok');
    assert.equal(r.code, 0);

    const inspect = await docker(host!, ['image', 'inspect', 'gcr.io/distroless/static:latest']);
    assert.equal(inspect.code, 0);
    const after = await tags();
    assert.ok(after.includes('gcr.io/distroless/static:latest') && after.includes('gcr.io/distroless/cc:latest'), after.join());
    assert.ok(!after.some((x) => x.startsWith(`${reg}/cistio/`)), `mirror tags remain: ${after.join()}`);
    assert.ok(after.includes('mine/keep:1'), 'the user\'s own tag was removed');
    const ids = await docker(host!, ['image', 'inspect', '--format', '{{.Id}}', 'mine/keep:1', 'gcr.io/distroless/static:latest']);
    const [a, b] = ids.stdout.trim().split('\n');
    assert.equal(a, b, 'the upstream tag points at the mirror image');

    const again = await runCli(['fix', 'distroless-images', '--yes', '--json', '--dir', f.root], { env: f.env });
    assert.equal(JSON.parse(again.stdout).fixes[0].action, 'already-ok');
    assert.deepEqual(await tags(), after);
  });

  it('a mirror missing one image: the other is still fixed, the missing one fails clearly', async (tc) => {
    const f = await fixture(tc, 'partial', 'partial');
    if (!f) return;
    await removeUpstreamTags();
    const r = await runCli(['fix', 'distroless-images', '--yes', '--json', '--dir', f.root], { env: f.env, timeoutMs: 120_000 });
    const o = JSON.parse(r.stdout).fixes.find((x: { id: string }) => x.id === 'distroless-images');
    assert.equal(o.action, 'failed');
    assert.match(o.message, new RegExp(`docker pull ${reg}/partial/distroless-cc:latest: .*(not found|manifest unknown)`));
    assert.equal(r.code, 1);
    const after = await tags();
    assert.ok(after.includes('gcr.io/distroless/static:latest'), 'static was fixed');
    assert.ok(!after.includes('gcr.io/distroless/cc:latest'));
    assert.match(o.after.summary, /missing gcr\.io\/distroless\/cc:latest$/);
  });

  it('a pinned digest that does not match is refused and nothing is retagged', async (tc) => {
    const pin = `sha256:${'0'.repeat(64)}`;
    const f = await fixture(tc, 'pinned', 'cistio', { images: { digests: { 'gcr.io/distroless/static:latest': pin } } });
    if (!f) return;
    await removeUpstreamTags();
    const ctx = await testContext({ env: f.env, dir: f.root });
    const [o] = await runFixes([{ ...distrolessImages, needs: [] }], ctx, { timeoutMs: 10_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', new RegExp(`refusing ${reg}/cistio/distroless-static:latest .*pins ${pin}; nothing was retagged`));
    const after = await tags();
    assert.ok(!after.includes('gcr.io/distroless/static:latest'), 'static was retagged despite the digest mismatch');
    assert.ok(after.includes('gcr.io/distroless/cc:latest'), 'cc (not pinned) is still fixed');
    const r = await runOneCheck(distrolessImages, ctx, 10_000);
    assert.equal(r.status, 'fail');
    await docker(host!, ['rmi', `${reg}/cistio/distroless-static:latest`]);
  });
});
