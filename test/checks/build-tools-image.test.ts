import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { buildToolsImage, buildToolsSources } from '../../checks/build-tools-image.js';
import { runChecks, runFixes, runOneCheck } from '../../src/engine/engine.js';
import { readBuildImage } from '../../src/istio/container.js';
import { istioFixture, runCli, tempEnv, testContext } from '../helpers/env.js';
import { docker, dockerHost, importTinyImage, registryAddr, requireReal } from '../helpers/daemons.js';
import { writeContainerFiles, type ContainerFamily } from '../helpers/fixture-container.js';

describe('build-tools-image: when it applies and where IMG comes from', () => {
  it('1.4/1.5 build on the host by default: skipped with the reason; BUILD_WITH_CONTAINER=1 makes it apply', async () => {
    const t = await tempEnv();
    try {
      for (const family of ['1.4', '1.5'] as const) {
        const root = await istioFixture(path.join(t.dir, family));
        const fx = await writeContainerFiles(root, family);
        const host = await testContext({ env: t.env, dir: root });
        const why = await buildToolsImage.appliesTo(host);
        assert.equal(why, `host build (BUILD_WITH_CONTAINER=0, ${fx.mode.source}): make does not use ${fx.img}; set BUILD_WITH_CONTAINER=1 to build in it`);
        const inContainer = await testContext({ env: { ...t.env, BUILD_WITH_CONTAINER: '1' }, dir: root });
        assert.equal(await buildToolsImage.appliesTo(inContainer), true);
      }
      const old = await istioFixture(path.join(t.dir, 'no-container'));
      assert.match(String(await buildToolsImage.appliesTo(await testContext({ env: t.env, dir: old }))), /names no build-tools image/);
    } finally {
      await t.cleanup();
    }
  });

  it('sources: upstream, its mirror, then the same tag on gcr.io/istio-testing and its mirror; prefer: mirror tries only the mirrors', async () => {
    const t = await tempEnv();
    try {
      const root = await istioFixture(path.join(t.dir, 'master'));
      const fx = await writeContainerFiles(root, 'master', { imageVersion: 'master-abc' });
      assert.equal(fx.img, 'registry.istio.io/testing/build-tools:master-abc');
      const rules = { 'registry.istio.io/testing/': 'm.example/rit/', 'gcr.io/istio-testing/': 'm.example/git/' };
      for (const [prefer, want] of [
        ['upstream', ['registry.istio.io/testing/build-tools:master-abc', 'm.example/rit/build-tools:master-abc', 'gcr.io/istio-testing/build-tools:master-abc', 'm.example/git/build-tools:master-abc']],
        ['mirror', ['m.example/rit/build-tools:master-abc', 'm.example/git/build-tools:master-abc']],
      ] as const) {
        await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ prefer, mirrors: { images: rules } }));
        const ctx = await testContext({ env: t.env, dir: root });
        const image = await readBuildImage(root, ctx.env);
        assert.deepEqual(buildToolsSources(ctx, image!).map((s) => s.ref), want);
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('build-tools-image against a real Docker engine and registry', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let host: string | undefined;
  let reg: string | undefined;
  const created: string[] = [];
  const tag = `release-1.24-devenv-test-${process.pid}`;
  const masterTag = `master-devenv-test-${process.pid}`;
  let pushedId = '';

  before(async () => {
    t = await tempEnv();
    host = dockerHost();
    reg = registryAddr();
    if (!host || !reg) return;
    // The mirror of gcr.io/istio-testing holds both tags; the mirror of registry.istio.io/testing holds neither.
    for (const [ref, content] of [[`${reg}/istio-testing/build-tools:${tag}`, 'build-tools 1.24'], [`${reg}/istio-testing/build-tools:${masterTag}`, 'build-tools master']]) {
      const id = await importTinyImage(host, ref, content);
      if (ref.endsWith(tag)) pushedId = id;
      const p = await docker(host, ['push', ref]);
      assert.equal(p.code, 0, p.stderr);
      await docker(host, ['rmi', ref]);
    }
  });
  after(async () => {
    if (host) for (const ref of created) await docker(host, ['rmi', ref]);
    await t.cleanup();
  });

  async function fixture(tc: TestContext, name: string, family: ContainerFamily, imageVersion: string) {
    if (!requireReal(tc, 'a harness dockerd (DEVENV_TEST_DOCKER_HOST)', host) || !requireReal(tc, 'a harness registry (DEVENV_TEST_REGISTRY)', reg)) return undefined;
    const root = await istioFixture(path.join(t.dir, name));
    const fx = await writeContainerFiles(root, family, { imageVersion });
    const cfg = path.join(t.dir, `${name}.json`);
    await fs.writeFile(
      cfg,
      JSON.stringify({
        prefer: 'mirror',
        mirrors: { images: { 'gcr.io/istio-testing/': `${reg}/istio-testing/`, 'registry.istio.io/testing/': `${reg}/registry-istio-io-testing/` } },
      }),
    );
    created.push(fx.img);
    return { root, fx, env: { ...t.env, DOCKER_HOST: host, DEVENV_CONFIG: cfg } };
  }

  async function tags(): Promise<string[]> {
    const r = await docker(host!, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    // Only build-tools tags: other test files share the daemon and run concurrently.
    return r.stdout.split('\n').filter((x) => x && !x.endsWith(':<none>') && x.includes('/build-tools:')).sort();
  }

  it('1.20+: doctor fails without IMG; fix pulls the gcr.io/istio-testing mirror, tags it as IMG, removes the mirror tag; a second fix is a no-op', async (tc) => {
    const f = await fixture(tc, 'gcr', '1.20+', tag);
    if (!f) return;
    assert.equal(f.fx.img, `gcr.io/istio-testing/build-tools:${tag}`);
    const doc = await runCli(['doctor', '--json', '--only', 'build-tools-image', '--dir', f.root], { env: f.env });
    const c = (JSON.parse(doc.stdout).checks as { id: string; status: string; source: string; summary: string }[]).find((x) => x.id === 'build-tools-image')!;
    assert.equal(c.status, 'fail', JSON.stringify(c));
    assert.equal(c.source, f.fx.imgSource);
    assert.match(c.summary, /every make target runs in it \(BUILD_WITH_CONTAINER=1, Makefile\.overrides\.mk:\d+\)/);

    const r = await runCli(['fix', 'build-tools-image', '--yes', '--json', '--dir', f.root], { env: f.env, timeoutMs: 120_000 });
    const o = JSON.parse(r.stdout).fixes.find((x: { id: string }) => x.id === 'build-tools-image');
    assert.equal(o.action, 'fixed', JSON.stringify(o));
    assert.equal(r.code, 0);
    const id = await docker(host!, ['image', 'inspect', '--format', '{{.Id}}', f.fx.img]);
    assert.equal(id.stdout.trim(), pushedId, 'IMG is the image the mirror holds');
    const after = await tags();
    assert.ok(!after.includes(`${reg}/istio-testing/build-tools:${tag}`), `the mirror tag devenv pulled remains: ${after.join()}`);

    const again = await runCli(['fix', 'build-tools-image', '--yes', '--json', '--dir', f.root], { env: f.env });
    const second = JSON.parse(again.stdout).fixes.find((x: { id: string }) => x.id === 'build-tools-image');
    assert.equal(second.action, 'already-ok');
    assert.equal(second.before.summary, `${f.fx.img} is in the local engine (pulled via ${reg}/istio-testing/build-tools:${tag})`);
    assert.deepEqual(await tags(), after);
  });

  it('master: the registry.istio.io/testing mirror lacks the tag, so the same tag is taken from gcr.io/istio-testing and the fix says so', async (tc) => {
    const f = await fixture(tc, 'alt', 'master', masterTag);
    if (!f) return;
    assert.equal(f.fx.img, `registry.istio.io/testing/build-tools:${masterTag}`);
    const lines: string[] = [];
    const ctx = await testContext({ env: f.env, dir: f.root, log: (l) => lines.push(l) });
    const [o] = await runFixes([{ ...buildToolsImage, needs: [] }], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'fixed', o.message);
    const recheck = await runOneCheck(buildToolsImage, ctx.fresh(), 10_000);
    assert.equal(recheck.status, 'ok');
    // The fallback stays visible after the fix, not only in progress lines.
    assert.equal(recheck.summary, `${f.fx.img} is in the local engine (the same tag from gcr.io/istio-testing/build-tools:${masterTag} via ${reg}/istio-testing/build-tools:${masterTag}: istio/istio#61589)`);
    assert.match(recheck.details!.join('\n'), /istio\/istio#61589/);
    assert.match(o.plan!.notes!.join('\n'), /istio\/istio#61589.*the same tag is taken from gcr\.io\/istio-testing\/build-tools:/);
    const log = lines.join('\n');
    assert.match(log, new RegExp(`${reg}/registry-istio-io-testing/build-tools:${masterTag} unavailable`));
    assert.ok(log.includes(`used the same tag from gcr.io/istio-testing/build-tools:${masterTag}`), log);
    assert.match(log, /istio\/istio#61589/);
    assert.match(log, /TOOLS_REGISTRY_PROVIDER=gcr\.io PROJECT_ID=istio-testing/);
    const inspect = await docker(host!, ['image', 'inspect', '--format', '{{json .RepoTags}}', f.fx.img]);
    assert.equal(inspect.code, 0, inspect.stderr);
  });

  it('in a container build, host Go (version, modules, vendor)/ruby/fpm/GNU tar are skipped as not needed while docker-daemon still runs', async (tc) => {
    const f = await fixture(tc, 'host-tools', '1.20+', tag);
    if (!f) return;
    const ctx = await testContext({ env: { ...f.env, PATH: '/nonexistent' }, dir: f.root });
    const { allChecks } = await import('../../checks/index.js');
    const ids = ['go-version', 'go-modules', 'go-vendor', 'ruby', 'fpm', 'gnu-tar', 'docker-daemon'];
    const results = await runChecks(allChecks.filter((c) => ids.includes(c.id)), ctx, { timeoutMs: 10_000 });
    const by = Object.fromEntries(results.map((r) => [r.id, r]));
    // go-modules/go-vendor too: in the container go has its own module cache; they say so instead of "needs go-version".
    for (const id of ['go-version', 'go-modules', 'go-vendor', 'ruby', 'fpm', 'gnu-tar']) {
      assert.equal(by[id].status, 'skip', `${id}: ${by[id].summary}`);
      assert.equal(by[id].summary, `not needed for container builds (BUILD_WITH_CONTAINER=1, ${f.fx.mode.source}); set BUILD_WITH_CONTAINER=0 to build on the host`);
    }
    assert.equal(by['docker-daemon'].status, 'fail', 'with no docker on PATH, docker-daemon still gates the build');
  });
});
