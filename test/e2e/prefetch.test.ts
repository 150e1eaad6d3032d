import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFrom, istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';

const SHA = 'a7b25784cd7d8d7e4ab5c4a2ab63b5a4b3f0e1d2';
const KUBECTL_URL = 'https://storage.googleapis.com/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl';
const DOCKERFILE_KUBECTL = `FROM docker.io/istio/base:1.4-dev.4\n\n# kubectl\nADD ${KUBECTL_URL} /usr/bin/kubectl\nRUN chmod +x /usr/bin/kubectl\n`;

// init scripts written for the test, behaving as the 1.4 ones do: download only what is missing.
const INIT_SH = `#!/bin/bash
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.."; pwd)
GO_TOP=\${GOPATH%%:*}
OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
ISTIO_BIN=\${ISTIO_BIN:-\${GO_TOP}/bin}
PROXY_REPO_SHA="\${PROXY_REPO_SHA:-$(grep PROXY_REPO_SHA "$ROOT/istio.deps" -A 4 | grep lastStableSHA | cut -f 4 -d '"')}"
ISTIO_ENVOY_VERSION=\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}
export ISTIO_ENVOY_BASE_URL=\${ISTIO_ENVOY_BASE_URL:-https://storage.googleapis.com/istio-build/proxy}
export ISTIO_ENVOY_LINUX_DEBUG_URL=\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-debug-\${ISTIO_ENVOY_VERSION}.tar.gz}
export ISTIO_ENVOY_LINUX_RELEASE_URL=\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-alpha-\${ISTIO_ENVOY_VERSION}.tar.gz}
DEBUG_PATH=\${OUT_DIR}/linux_amd64/debug/envoy-debug-\${ISTIO_ENVOY_VERSION}
RELEASE_PATH=\${OUT_DIR}/linux_amd64/release/envoy-\${ISTIO_ENVOY_VERSION}
download_envoy_if_necessary () {
  if [[ ! -f "$2" ]] ; then
    mkdir -p "$(dirname "$2")"
    cd "$(dirname "$2")"
    echo "DOWNLOADING $1" >&2
    curl -fLSs "$1" | tar xz
    cp usr/local/bin/envoy "$2"
    rm -rf usr
    cp -f "$2" "$(dirname "$2")/envoy"
  fi
}
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$DEBUG_PATH"
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$RELEASE_PATH"
mkdir -p "$ISTIO_OUT" "$ISTIO_BIN"
cp -f "$DEBUG_PATH" "$ISTIO_OUT/envoy"
cp -f "$DEBUG_PATH" "$ISTIO_BIN/envoy"
"$ISTIO_OUT/envoy"
`;
const INIT_HELM_SH = `#!/bin/bash
set -euo pipefail
GO_TOP=\${GOPATH%%:*}
OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
HELM_VER=\${HELM_VER:-v2.10.0}
HELM_URL=https://storage.googleapis.com/kubernetes-helm/helm-\${HELM_VER}-linux-amd64.tar.gz
if [ ! -f "\${ISTIO_OUT}/version.helm.\${HELM_VER}" ]; then
  mkdir -p "$ISTIO_OUT"
  cd "$ISTIO_OUT"
  echo "DOWNLOADING $HELM_URL" >&2
  curl -fLSs "$HELM_URL" | tar xz
  cp linux-amd64/helm "helm-\${HELM_VER}"
  cp linux-amd64/helm helm
  touch "version.helm.\${HELM_VER}"
fi
"\${ISTIO_OUT}/helm"
`;
const MAKEFILE = [
  'GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)',
  "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)",
  'OUT_DIR := $(GO_TOP)/out',
  'ISTIO_OUT := $(OUT_DIR)/$(GOOS_LOCAL)_$(GOARCH_LOCAL)/release',
  'ISTIO_BIN := $(GO_TOP)/bin',
  'GO_VERSION_REQUIRED:=1.10',
  'VERSION ?= 1.4-dev',
  '',
].join('\n');
const DEPS = JSON.stringify([{ _comment: '', name: 'PROXY_REPO_SHA', repoDir: 'src/proxy', repoName: 'proxy', file: '', lastStableSHA: SHA }], null, 2);

async function tarball(dir: string, member: string, content: string): Promise<Buffer> {
  const src = path.join(dir, `src-${path.basename(member)}-${content.length}`);
  await fs.mkdir(path.join(src, path.dirname(member)), { recursive: true });
  await fs.writeFile(path.join(src, member), content, { mode: 0o755 });
  const out = path.join(dir, `${path.basename(src)}.tar.gz`);
  execFileSync('tar', ['-C', src, '-czf', out, member.split('/')[0]]);
  return fs.readFile(out);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('prefetching what make init downloads (1.4-era checkout, loopback mirror)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  let cfg: string;
  const kubectl = Buffer.from('#!/bin/sh\necho kubectl v1.13.10\n');

  before(async () => {
    t = await tempEnv();
    const routes = {
      [`/istio-build/proxy/envoy-debug-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', '#!/bin/sh\necho envoy debug\n'),
      [`/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', '#!/bin/sh\necho envoy release build\n'),
      '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': await tarball(t.dir, 'linux-amd64/helm', '#!/bin/sh\necho helm v2.10.0\n'),
      '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
      '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': `${sha(kubectl)}\n`,
    };
    server = await startServer(routes);
    cfg = path.join(t.dir, 'devenv.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/` } } }));
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  async function checkout(name: string) {
    const gopath = path.join(t.dir, name);
    const root = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), {
      files: { 'Makefile.core.mk': MAKEFILE, 'istio.deps': DEPS, 'bin/init.sh': INIT_SH, 'bin/init_helm.sh': INIT_HELM_SH, 'docker/Dockerfile.kubectl': DOCKERFILE_KUBECTL },
    });
    return { gopath, root, env: { ...t.env, GOPATH: gopath, GO111MODULE: 'on', DEVENV_CONFIG: cfg } };
  }

  const ids = ['envoy-binaries', 'helm', 'kubectl-cache'];

  it('dry run lists the rewritten URLs, destinations and the edit, and changes nothing', async () => {
    const { root, env, gopath } = await checkout('dry');
    const before = server.log.length;
    const r = await runCli(['fix', ...ids, '--dry-run', '--dir', root], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`download ${server.url}/istio-build/proxy/envoy-debug-${SHA}.tar.gz (else https://storage.googleapis.com/istio-build/proxy/envoy-debug-${SHA}.tar.gz)`), r.stdout);
    assert.ok(r.stdout.includes(`${gopath}/out/linux_amd64/debug/envoy-debug-${SHA}`));
    assert.ok(r.stdout.includes(`${server.url}/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz`));
    assert.match(r.stdout, /rewrite line 4 to: ADD kubectl \/usr\/bin\/kubectl/);
    assert.equal(server.log.length, before, 'a dry run made requests');
    await assert.rejects(fs.access(path.join(gopath, 'out')));
    assert.equal(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), DOCKERFILE_KUBECTL);
  });

  it('after the fix, the init scripts run with the mirror stopped, doctor says ok; a second checkout comes from the cache; revert restores the Dockerfile', async () => {
    const { root, env, gopath } = await checkout('one');
    const before = await runCli(['doctor', '--json', '--only', ids.join(','), '--dir', root], { env });
    for (const id of ids) assert.equal(checkFrom(before.stdout, id).status, 'fail', id);
    assert.equal(checkFrom(before.stdout, 'envoy-binaries').source, 'istio.deps:8');
    assert.equal(checkFrom(before.stdout, 'kubectl-cache').source, 'docker/Dockerfile.kubectl:4');

    const fix = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env, timeoutMs: 120_000 });
    const fixes = JSON.parse(fix.stdout).fixes as { id: string; action: string; message: string | null }[];
    for (const f of fixes) assert.equal(f.action, 'fixed', JSON.stringify(f));
    assert.equal(fix.code, 0);
    const dockerfile = await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8');
    assert.match(dockerfile, /^ADD kubectl \/usr\/bin\/kubectl$/m);
    assert.deepEqual(await fs.readFile(path.join(gopath, 'out/linux_amd64/release/docker_build/docker.kubectl/kubectl')), kubectl);

    // The mirror goes away: make init must not need it.
    const requests = server.log.length;
    const initEnv = { PATH: process.env.PATH, GOPATH: gopath, HOME: t.env.HOME };
    const envoyOut = execFileSync('bash', [path.join(root, 'bin/init.sh')], { env: initEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    assert.match(envoyOut, /envoy debug/);
    const helmOut = execFileSync('bash', [path.join(root, 'bin/init_helm.sh')], { env: initEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    assert.match(helmOut, /helm v2\.10\.0/);
    assert.equal(server.log.length, requests);

    const after = await runCli(['doctor', '--json', '--only', ids.join(','), '--dir', root], { env });
    for (const id of ids) assert.equal(checkFrom(after.stdout, id).status, 'ok', `${id}: ${checkFrom(after.stdout, id).summary}`);
    assert.match(String(checkFrom(after.stdout, 'kubectl-cache').summary), /differs from git; undo: devenv fix --revert kubectl-cache/);

    // A second checkout, same machine: everything from the cache, with the mirror stopped.
    const two = await checkout('two');
    const saved = new Map(server.routes);
    server.routes.clear();
    try {
      const fix2 = await runCli(['fix', ...ids, '--yes', '--json', '--dir', two.root], { env: two.env, timeoutMs: 60_000 });
      for (const f of JSON.parse(fix2.stdout).fixes) assert.equal(f.action, 'fixed', JSON.stringify(f));
      assert.equal(server.log.length, requests, `the second checkout made requests: ${server.log.slice(requests).join(', ')}`);
    } finally {
      for (const [k, v] of saved) server.routes.set(k, v);
    }

    // Revert: the original Dockerfile comes back byte for byte; then revert has nothing to do.
    const rev = await runCli(['fix', '--revert', 'kubectl-cache', '--json', '--dir', root], { env });
    assert.equal(JSON.parse(rev.stdout).fixes[0].action, 'fixed', rev.stdout);
    assert.equal(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), DOCKERFILE_KUBECTL);
    const again = await runCli(['fix', '--revert', 'kubectl-cache', '--json', '--dir', root], { env });
    assert.equal(JSON.parse(again.stdout).fixes[0].action, 'already-ok');
  });

  it('a second run of the fix is a no-op', async () => {
    const { root, env } = await checkout('twice');
    const first = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env, timeoutMs: 60_000 });
    assert.equal(first.code, 0, first.stdout);
    const second = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env });
    for (const f of JSON.parse(second.stdout).fixes) assert.equal(f.action, 'already-ok', JSON.stringify(f));
  });
});
