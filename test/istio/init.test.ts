import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeLayout, initPlan, helmPlan, readProxySha } from '../../src/istio/init.js';
import { istioFixture, tempEnv, testContext } from '../helpers/env.js';

const SHA = '73f240a29bece92a8882a36893ccce07b4a54664';
const DEPS = JSON.stringify([{ _comment: '', name: 'PROXY_REPO_SHA', repoDir: 'src/proxy', repoName: 'proxy', file: '', lastStableSHA: SHA }], null, 2);

// Shaped like 1.4's Makefile.core.mk: GOPATH-derived outputs.
const MAKE_14 = [
  'export GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)',
  "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)",
  'export ISTIO_BIN=$(GO_TOP)/bin',
  'export OUT_DIR=$(GO_TOP)/out',
  'export ISTIO_OUT:=$(GO_TOP)/out/$(GOOS)_$(GOARCH)/$(BUILDTYPE_DIR)',
  'GO_VERSION_REQUIRED:=1.10',
  '',
].join('\n');
// Shaped like 1.5's: GO_TOP is still defined, but outputs follow TARGET_OUT.
const MAKE_15 = [
  'GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)',
  "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)",
  'export ISTIO_BIN=$(GOBIN)',
  'export ISTIO_OUT:=$(TARGET_OUT)',
  'export ISTIO_OUT_LINUX:=$(TARGET_OUT_LINUX)',
  '',
].join('\n');
// The parts of a 1.5–1.7 bin/init.sh that decide what is fetched and where.
const INIT_15 = `#!/bin/bash
ISTIO_ENVOY_BASE_URL=\${ISTIO_ENVOY_BASE_URL:-https://storage.googleapis.com/istio-build/proxy}
ISTIO_ENVOY_VERSION=\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}
ISTIO_ENVOY_LINUX_VERSION=\${ISTIO_ENVOY_LINUX_VERSION:-\${ISTIO_ENVOY_VERSION}}
ISTIO_ENVOY_DEBUG_URL=\${ISTIO_ENVOY_DEBUG_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}.tar.gz}
ISTIO_ENVOY_RELEASE_URL=\${ISTIO_ENVOY_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-alpha-\${ISTIO_ENVOY_LINUX_VERSION}.tar.gz}
ISTIO_ENVOY_LINUX_DEBUG_URL=\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_DEBUG_URL}}
ISTIO_ENVOY_LINUX_RELEASE_URL=\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_RELEASE_URL}}
ISTIO_ENVOY_LINUX_DEBUG_DIR=\${ISTIO_ENVOY_LINUX_DEBUG_DIR:-"\${TARGET_OUT_LINUX}/debug"}
ISTIO_ENVOY_LINUX_DEBUG_NAME=\${ISTIO_ENVOY_LINUX_DEBUG_NAME:-"envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}"}
ISTIO_ENVOY_LINUX_DEBUG_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH:-"\${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}"}
ISTIO_ENVOY_LINUX_RELEASE_DIR=\${ISTIO_ENVOY_LINUX_RELEASE_DIR:-"\${TARGET_OUT_LINUX}/release"}
ISTIO_ENVOY_LINUX_RELEASE_NAME=\${ISTIO_ENVOY_LINUX_RELEASE_NAME:-"\${SIDECAR}-\${ISTIO_ENVOY_LINUX_VERSION}"}
ISTIO_ENVOY_LINUX_RELEASE_PATH=\${ISTIO_ENVOY_LINUX_RELEASE_PATH:-"\${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}"}
if [[ -n "\${DEBUG_IMAGE:-}" ]]; then
  download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$ISTIO_ENVOY_LINUX_DEBUG_PATH"
fi
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$ISTIO_ENVOY_LINUX_RELEASE_PATH"
if [[ "$GOOS_LOCAL" == "darwin" ]]; then
  ISTIO_ENVOY_NATIVE_PATH=\${ISTIO_ENVOY_MACOS_RELEASE_PATH}
else
  ISTIO_ENVOY_NATIVE_PATH=\${ISTIO_ENVOY_LINUX_RELEASE_PATH}
fi
cp -f "\${ISTIO_ENVOY_NATIVE_PATH}" "\${ISTIO_OUT}/\${SIDECAR}"
`;
const INIT_HELM = `#!/bin/bash
HELM_VER=\${HELM_VER:-v2.10.0}
export GOARCH=\${GOARCH:-'amd64'}
if [ ! -f "\${ISTIO_OUT}/version.helm.\${HELM_VER}" ] ; then
    TD=$(mktemp -d)
    cd "\${TD}" && \\
        curl -Lo "\${TD}/helm.tgz" "https://storage.googleapis.com/kubernetes-helm/helm-\${HELM_VER}-\${LOCAL_OS}-\${GOARCH}.tar.gz" && \\
        tar xfz helm.tgz
fi
`;

describe('facts read from the checkout for make init (src/istio/init.ts)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  const ctxFor = (root: string, env: Record<string, string | undefined> = {}) => testContext({ env: { ...t.env, ...env }, dir: root, platform: 'linux', arch: 'x64' });

  it('1.5-shaped tree: ./out layout although GO_TOP is defined; release only unless DEBUG_IMAGE; native copy from release', async () => {
    const root = await istioFixture(path.join(t.dir, 'r15', 'istio'), { files: { 'Makefile.core.mk': MAKE_15, 'istio.deps': DEPS, 'bin/init.sh': INIT_15 } });
    const ctx = await ctxFor(root);
    const layout = computeLayout(ctx);
    assert.equal(layout.era, 'modern');
    assert.equal(layout.source, 'Makefile.core.mk:4');
    assert.equal(layout.dockerBuildTop, path.join(root, 'out/linux_amd64/docker_build'));
    const plan = (await initPlan(ctx))!;
    assert.deepEqual(plan.fetches.map((a) => [a.kind, a.url, a.path]), [
      ['release', `https://storage.googleapis.com/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`, path.join(root, `out/linux_amd64/release/envoy-${SHA}`)],
    ]);
    assert.deepEqual(plan.copies.map((c) => [c.from, c.to]), [[path.join(root, `out/linux_amd64/release/envoy-${SHA}`), path.join(root, 'out/linux_amd64/envoy')]]);

    const dbg = (await initPlan(await ctxFor(root, { DEBUG_IMAGE: '1' })))!;
    assert.deepEqual(dbg.fetches.map((a) => a.kind), ['debug', 'release']);
    assert.equal(dbg.fetches[0].path, path.join(root, `out/linux_amd64/debug/envoy-debug-${SHA}`));
    assert.equal(dbg.copies[0].from, path.join(root, `out/linux_amd64/release/envoy-${SHA}`));
  });

  it('1.4-shaped tree: GOPATH layout (first GOPATH entry, else three dirs up); env overrides win and are named as the source', async () => {
    const gopath = path.join(t.dir, 'gp14');
    const root = await istioFixture(path.join(gopath, 'src/istio.io/istio'), { files: { 'Makefile.core.mk': MAKE_14, 'istio.deps': DEPS, 'bin/init.sh': INIT_15.replace(/^if \[\[ -n "\$\{DEBUG_IMAGE.*\n/m, 'if true; then\n') } });
    const noEnv = computeLayout(await ctxFor(root));
    assert.equal(noEnv.era, 'gopath');
    assert.equal(noEnv.goTop, gopath);
    const other = path.join(t.dir, 'elsewhere');
    const ctx = await ctxFor(root, { GOPATH: `${other}${path.delimiter}${gopath}` });
    const layout = computeLayout(ctx);
    assert.equal(layout.istioOut, path.join(other, 'out/linux_amd64/release'));
    assert.equal(layout.istioBin, path.join(other, 'bin'));
    assert.equal(layout.dockerBuildTop, path.join(other, 'out/linux_amd64/release/docker_build'));
    const plan = (await initPlan(ctx))!;
    assert.deepEqual(plan.fetches.map((a) => a.path), [path.join(other, `out/linux_amd64/debug/envoy-debug-${SHA}`), path.join(other, `out/linux_amd64/release/envoy-${SHA}`)]);

    const overridden = (await initPlan(await ctxFor(root, { GOPATH: gopath, ISTIO_ENVOY_BASE_URL: 'https://envoy.example/base', ISTIO_ENVOY_LINUX_RELEASE_URL: 'https://rel.example/r.tgz' })))!;
    assert.equal(overridden.fetches[0].url, `https://envoy.example/base/envoy-debug-${SHA}.tar.gz`);
    assert.equal(overridden.fetches[0].urlSource, 'env ISTIO_ENVOY_BASE_URL');
    assert.equal(overridden.fetches[1].url, 'https://rel.example/r.tgz');
    assert.equal(overridden.fetches[1].urlSource, 'env ISTIO_ENVOY_LINUX_RELEASE_URL');
    // Before 1.4.2 the full URLs had other names.
    const old = (await initPlan(await ctxFor(root, { GOPATH: gopath, ISTIO_ENVOY_DEBUG_URL: 'https://old.example/d.tgz' })))!;
    assert.equal(old.fetches[0].url, 'https://old.example/d.tgz');
    const sha = (await initPlan(await ctxFor(root, { GOPATH: gopath, PROXY_REPO_SHA: 'abc1234' })))!;
    assert.match(sha.fetches[1].url, /envoy-alpha-abc1234\.tar\.gz$/);
    const auth = (await initPlan(await ctxFor(root, { GOPATH: gopath, AUTH_HEADER: 'Authorization: Bearer xyz' })))!;
    assert.deepEqual(auth.headers, { Authorization: 'Bearer xyz' });
  });

  it('istio.deps is read robustly: a malformed JSON file still yields PROXY_REPO_SHA by line', async () => {
    const broken = `[\n  {\n    "_comment": "",\n    "name": "PROXY_REPO_SHA",\n    "repoName": "proxy",\n    "lastStableSHA": "${SHA}",\n  },\n]\n`;
    const root = await istioFixture(path.join(t.dir, 'deps', 'istio'), { files: { 'istio.deps': broken } });
    const got = await readProxySha(await ctxFor(root));
    assert.deepEqual(got, { value: SHA, file: 'istio.deps', line: 6 });
  });

  it('helm: the inline URL of init_helm.sh, expanded; the member follows the tarball name', async () => {
    const root = await istioFixture(path.join(t.dir, 'helm', 'istio'), { files: { 'Makefile.core.mk': MAKE_15, 'bin/init_helm.sh': INIT_HELM } });
    const plan = (await helmPlan(await ctxFor(root)))!;
    assert.equal(plan.url, 'https://storage.googleapis.com/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz');
    assert.equal(plan.urlSource, 'bin/init_helm.sh:7');
    assert.equal(plan.versionSource, 'bin/init_helm.sh:2');
    assert.equal(plan.member, 'linux-amd64/helm');
    assert.equal(plan.sentinel, path.join(root, 'out/linux_amd64/version.helm.v2.10.0'));
    const none = await istioFixture(path.join(t.dir, 'nohelm', 'istio'));
    assert.equal(await helmPlan(await ctxFor(none)), undefined);
  });
});
