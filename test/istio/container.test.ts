import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { hostToolchainApplies, readBuildImage, readBuildMode } from '../../src/istio/container.js';
import { normalizeRef, readMakeDockerImages } from '../../src/istio/dockerfiles.js';
import { CONTAINER_FAMILIES, writeContainerFiles } from '../helpers/fixture-container.js';
import { istioFixture, rmrf, tempDir } from '../helpers/env.js';

async function tree(family: (typeof CONTAINER_FAMILIES)[number]) {
  const dir = await tempDir();
  const root = await istioFixture(path.join(dir, 'istio'));
  const fx = await writeContainerFiles(root, family);
  return { dir, root, fx };
}

describe('container build facts per release line', () => {
  for (const family of CONTAINER_FAMILIES) {
    it(`${family}: BUILD_WITH_CONTAINER, IMG and the images make docker builds FROM, with their sources`, async () => {
      const { dir, root, fx } = await tree(family);
      try {
        const mode = await readBuildMode(root, {});
        assert.deepEqual(mode, { container: fx.mode.value === '1', value: fx.mode.value, source: fx.mode.source });
        const img = await readBuildImage(root, {});
        assert.equal(img?.image, fx.img);
        assert.equal(img?.source, fx.imgSource);
        assert.deepEqual(img?.alternates, family === 'master' ? [fx.img.replace('registry.istio.io/testing/', 'gcr.io/istio-testing/')] : []);
        const r = await readMakeDockerImages(root, {});
        assert.ok(r);
        const needed = [...new Set(r.images.filter((i) => i.needed && !i.unresolved).map((i) => normalizeRef(i.image)))].sort();
        assert.deepEqual(needed, fx.baseImages);
        const files = new Set(r.images.map((i) => i.file));
        assert.ok(![...files].some((f) => f.startsWith('samples/') || f === 'docker/Dockerfile.base' || f === 'docker/Dockerfile.distroless'), [...files].join());
        assert.ok(r.plan.details.some((d) => d.startsWith(`BASE_VERSION=${fx.baseVersion} (Makefile.core.mk:`)), r.plan.details.join('; '));
      } finally {
        await rmrf(dir);
      }
    });
  }

  it('the environment wins: BUILD_WITH_CONTAINER, IMG, TOOLS_REGISTRY_PROVIDER/PROJECT_ID, BASE_VERSION, ISTIO_BASE_REGISTRY', async () => {
    const { dir, root, fx } = await tree('master');
    try {
      assert.deepEqual(await readBuildMode(root, { BUILD_WITH_CONTAINER: '0' }), { container: false, value: '0', source: 'environment' });
      const viaGcr = await readBuildImage(root, { TOOLS_REGISTRY_PROVIDER: 'gcr.io', PROJECT_ID: 'istio-testing' });
      assert.equal(viaGcr?.image, fx.img.replace('registry.istio.io/testing/', 'gcr.io/istio-testing/'));
      assert.deepEqual(viaGcr?.alternates, []);
      const explicit = await readBuildImage(root, { IMG: 'example.com/tools:1' });
      assert.equal(explicit?.image, 'example.com/tools:1');
      assert.equal(explicit?.source, 'environment (IMG)');
      assert.match(explicit!.details[0], new RegExp(`the tree's own IMG is ${fx.img.replace(/[.]/g, '\\.')}`));
      const r = await readMakeDockerImages(root, { BASE_VERSION: 'x1', ISTIO_BASE_REGISTRY: 'mirror.example/rel' });
      const needed = [...new Set(r!.images.filter((i) => i.needed).map((i) => i.image))].sort();
      assert.deepEqual(needed, ['mirror.example/rel/app_sidecar_base_ubuntu_noble:x1', 'mirror.example/rel/base:x1']);
      const distroless = await readMakeDockerImages(root, { DOCKER_BUILD_VARIANTS: 'distroless' });
      assert.ok(distroless!.images.some((i) => i.needed && i.image === `registry.istio.io/release/distroless:${fx.baseVersion}`));
    } finally {
      await rmrf(dir);
    }
  });

  it('1.4 reads IMG from the Makefile and honours BUILD_WITH_CONTAINER=1 from the environment', async () => {
    const { dir, root, fx } = await tree('1.4');
    try {
      assert.equal((await readBuildMode(root, {}))?.container, false);
      assert.deepEqual(await readBuildMode(root, { BUILD_WITH_CONTAINER: '1' }), { container: true, value: '1', source: 'environment' });
      assert.match(fx.imgSource, /^Makefile:\d+$/);
    } finally {
      await rmrf(dir);
    }
  });

  it('a tree with no container mode (1.1–1.3 shape) has no build mode and no IMG', async () => {
    const dir = await tempDir();
    try {
      const root = await istioFixture(path.join(dir, 'istio'), { files: { Makefile: 'include Makefile.core.mk\n' } });
      assert.equal(await readBuildMode(root, {}), undefined);
      assert.equal(await readBuildImage(root, {}), undefined);
      assert.equal(await readMakeDockerImages(root, {}), undefined);
    } finally {
      await rmrf(dir);
    }
  });

  it('host toolchain checks apply unless the build runs in the container', async () => {
    const { dir, root, fx } = await tree('1.20+');
    try {
      const memo = <T>(_k: string, fn: () => Promise<T>) => fn();
      assert.equal(
        await hostToolchainApplies({ root, env: {}, memo }),
        `not needed for container builds (BUILD_WITH_CONTAINER=1, ${fx.mode.source}); set BUILD_WITH_CONTAINER=0 to build on the host`,
      );
      assert.equal(await hostToolchainApplies({ root, env: { BUILD_WITH_CONTAINER: '0' }, memo }), true);
      assert.equal(await hostToolchainApplies({ root: null, env: {}, memo }), true);
    } finally {
      await rmrf(dir);
    }
  });
});
