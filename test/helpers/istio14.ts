/**
 * A 1.4-era checkout's init scripts, Makefile and deps, written for the tests
 * (the same shapes test/e2e/prefetch.test.ts uses), for tests that need the
 * artifact fixes envoy-binaries, helm and kubectl-cache.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

export const SHA = 'a7b25784cd7d8d7e4ab5c4a2ab63b5a4b3f0e1d2';
export const KUBECTL_URL = 'https://storage.googleapis.com/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl';
export const DOCKERFILE_KUBECTL = `FROM docker.io/istio/base:1.4-dev.4\n\n# kubectl\nADD ${KUBECTL_URL} /usr/bin/kubectl\nRUN chmod +x /usr/bin/kubectl\n`;

// init scripts written for the test, shaped like the 1.4 ones: download only what is missing.
export const INIT_SH = `#!/bin/bash
set -o errexit
set -o nounset
set -o pipefail
export GO_TOP=\${GO_TOP:-$(echo "\${GOPATH}" | cut -d ':' -f1)}
export OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
export ISTIO_BIN=\${ISTIO_BIN:-\${GOPATH}/bin}
export ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
SIDECAR=envoy
ROOT=$(cd "$(dirname "$0")/.."; pwd)
function download_envoy_if_necessary () {
  if [[ ! -f "$2" ]] ; then
    mkdir -p "$(dirname "$2")"
    pushd "$(dirname "$2")"
    echo "DOWNLOADING $1" >&2
    curl -fLSs --header "\${AUTH_HEADER:-}" "$1" | tar xz
    cp usr/local/bin/"\${SIDECAR}" "$2"
    rm -rf usr
    cp -f "$2" "$(dirname "$2")/\${SIDECAR}"
    popd
  fi
}
if [[ -z "\${PROXY_REPO_SHA:-}" ]] ; then
  PROXY_REPO_SHA=$(grep PROXY_REPO_SHA "$ROOT/istio.deps" -A 4 | grep lastStableSHA | cut -f 4 -d '"')
fi
ISTIO_ENVOY_BASE_URL=\${ISTIO_ENVOY_BASE_URL:-https://storage.googleapis.com/istio-build/proxy}
ISTIO_ENVOY_VERSION=\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}
ISTIO_ENVOY_LINUX_VERSION=\${ISTIO_ENVOY_LINUX_VERSION:-\${ISTIO_ENVOY_VERSION}}
ISTIO_ENVOY_DEBUG_URL=\${ISTIO_ENVOY_DEBUG_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}.tar.gz}
ISTIO_ENVOY_RELEASE_URL=\${ISTIO_ENVOY_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-alpha-\${ISTIO_ENVOY_LINUX_VERSION}.tar.gz}
ISTIO_ENVOY_LINUX_DEBUG_URL=\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_DEBUG_URL}}
ISTIO_ENVOY_LINUX_RELEASE_URL=\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_RELEASE_URL}}
ISTIO_ENVOY_LINUX_DEBUG_DIR=\${ISTIO_ENVOY_LINUX_DEBUG_DIR:-"\${OUT_DIR}/linux_amd64/debug"}
ISTIO_ENVOY_LINUX_DEBUG_NAME=\${ISTIO_ENVOY_LINUX_DEBUG_NAME:-"envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}"}
ISTIO_ENVOY_LINUX_DEBUG_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH:-"\${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}"}
ISTIO_ENVOY_LINUX_RELEASE_DIR=\${ISTIO_ENVOY_LINUX_RELEASE_DIR:-"\${OUT_DIR}/linux_amd64/release"}
ISTIO_ENVOY_LINUX_RELEASE_NAME=\${ISTIO_ENVOY_LINUX_RELEASE_NAME:-"\${SIDECAR}-\${ISTIO_ENVOY_LINUX_VERSION}"}
ISTIO_ENVOY_LINUX_RELEASE_PATH=\${ISTIO_ENVOY_LINUX_RELEASE_PATH:-"\${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}"}
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$ISTIO_ENVOY_LINUX_DEBUG_PATH"
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$ISTIO_ENVOY_LINUX_RELEASE_PATH"
ISTIO_ENVOY_NATIVE_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH}
mkdir -p "\${ISTIO_OUT}" "\${ISTIO_BIN}"
cp -f "\${ISTIO_ENVOY_NATIVE_PATH}" "\${ISTIO_OUT}/envoy"
if [ ! -f "\${ISTIO_BIN}/envoy" ] ; then
  cp "\${ISTIO_ENVOY_NATIVE_PATH}" "\${ISTIO_BIN}/envoy"
fi
"\${ISTIO_OUT}/envoy"
`;
export const INIT_HELM_SH = `#!/bin/bash
set -euo pipefail
GO_TOP=\${GOPATH%%:*}
OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
HELM_VER=\${HELM_VER:-v2.10.0}
if [ ! -f "\${ISTIO_OUT}/version.helm.\${HELM_VER}" ]; then
  mkdir -p "$ISTIO_OUT"
  cd "$ISTIO_OUT"
  echo "DOWNLOADING helm" >&2
  curl -fLSs "https://storage.googleapis.com/kubernetes-helm/helm-\${HELM_VER}-linux-amd64.tar.gz" | tar xz
  cp linux-amd64/helm "helm-\${HELM_VER}"
  cp linux-amd64/helm helm
  touch "version.helm.\${HELM_VER}"
fi
"\${ISTIO_OUT}/helm"
`;
export const MAKEFILE = [
  'GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)',
  "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)",
  'OUT_DIR := $(GO_TOP)/out',
  'ISTIO_OUT := $(OUT_DIR)/$(GOOS_LOCAL)_$(GOARCH_LOCAL)/release',
  'ISTIO_BIN := $(GO_TOP)/bin',
  'GO_VERSION_REQUIRED:=1.10',
  'VERSION ?= 1.4-dev',
  '',
].join('\n');
export const DEPS = JSON.stringify([{ _comment: '', name: 'PROXY_REPO_SHA', repoDir: 'src/proxy', repoName: 'proxy', file: '', lastStableSHA: SHA }], null, 2);

export async function tarball(dir: string, member: string, content: string | Buffer): Promise<Buffer> {
  const src = path.join(dir, `src-${path.basename(member)}-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(path.join(src, path.dirname(member)), { recursive: true });
  await fs.writeFile(path.join(src, member), content, { mode: 0o755 });
  const out = path.join(dir, `${path.basename(src)}.tar.gz`);
  execFileSync('tar', ['-C', src, '-czf', out, member.split('/')[0]]);
  return fs.readFile(out);
}

