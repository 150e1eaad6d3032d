/**
 * A 1.4-shaped checkout for bundle tests, written here (not copied from
 * Istio): istio.deps, Makefile.core.mk with the GOPATH layout, a bin/init.sh
 * and bin/init_helm.sh with the 1.4 scripts' URL forms, skip-if-exists rules
 * and destinations, docker/Dockerfile.kubectl ADDing kubectl from a URL, a
 * Dockerfile FROM a distroless image, and a Go main module requiring one
 * module from a test GOPROXY. Plus the loopback upstream that serves them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { istioFixture } from './env.js';
import { MAKEFILE } from './istio14.js';
import { publishModule, writeGoSum } from './goproxy.js';

export const PROXY_SHA = '5f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6';
export const KUBECTL_URL = 'https://storage.googleapis.com/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl';
export const HELM_URL = 'https://storage.googleapis.com/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz';
export const envoyUrl = (kind: 'debug' | 'alpha') => `https://storage.googleapis.com/istio-build/proxy/envoy-${kind}-${PROXY_SHA}.tar.gz`;

/** In the shape of 1.4's bin/init.sh: GOPATH-derived OUT_DIR, debug and release Envoy, skip when present, copies to ISTIO_OUT and ISTIO_BIN. */
export const INIT_SH = `#!/bin/bash
set -o errexit -o nounset -o pipefail
export GO_TOP=\${GO_TOP:-$(echo "\${GOPATH}" | cut -d ':' -f1)}
export OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
export ISTIO_BIN=\${ISTIO_BIN:-\${GOPATH}/bin}
export ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
SIDECAR=envoy
ROOT=$(cd "$(dirname "$0")/.."; pwd)
download_envoy_if_necessary() {
  # $1 URL, $2 destination: skipped when the destination exists
  if [[ -f "$2" ]]; then return 0; fi
  mkdir -p "$(dirname "$2")"
  cd "$(dirname "$2")"
  echo "fetching $1" >&2
  curl -fLSs --header "\${AUTH_HEADER:-}" "$1" | tar xz
  cp usr/local/bin/\${SIDECAR} "$2"
  rm -rf usr
  cp -f "$2" "$(dirname "$2")/\${SIDECAR}"
  cd "$ROOT"
}
if [[ -z "\${PROXY_REPO_SHA:-}" ]]; then
  PROXY_REPO_SHA=$(grep PROXY_REPO_SHA "$ROOT/istio.deps" -A 4 | grep lastStableSHA | cut -f 4 -d '"')
fi
ISTIO_ENVOY_BASE_URL=\${ISTIO_ENVOY_BASE_URL:-https://storage.googleapis.com/istio-build/proxy}
ISTIO_ENVOY_VERSION=\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}
ISTIO_ENVOY_DEBUG_URL=\${ISTIO_ENVOY_DEBUG_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-debug-\${ISTIO_ENVOY_VERSION}.tar.gz}
ISTIO_ENVOY_RELEASE_URL=\${ISTIO_ENVOY_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-alpha-\${ISTIO_ENVOY_VERSION}.tar.gz}
ISTIO_ENVOY_LINUX_DEBUG_URL=\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_DEBUG_URL}}
ISTIO_ENVOY_LINUX_RELEASE_URL=\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_RELEASE_URL}}
ISTIO_ENVOY_LINUX_DEBUG_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH:-"\${OUT_DIR}/linux_amd64/debug/envoy-debug-\${ISTIO_ENVOY_VERSION}"}
ISTIO_ENVOY_LINUX_RELEASE_PATH=\${ISTIO_ENVOY_LINUX_RELEASE_PATH:-"\${OUT_DIR}/linux_amd64/release/\${SIDECAR}-\${ISTIO_ENVOY_VERSION}"}
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$ISTIO_ENVOY_LINUX_DEBUG_PATH"
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$ISTIO_ENVOY_LINUX_RELEASE_PATH"
ISTIO_ENVOY_NATIVE_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH}
mkdir -p "\${ISTIO_OUT}" "\${ISTIO_BIN}"
cp -f "\${ISTIO_ENVOY_NATIVE_PATH}" "\${ISTIO_OUT}/envoy"
if [[ ! -f "\${ISTIO_BIN}/envoy" ]]; then cp "\${ISTIO_ENVOY_NATIVE_PATH}" "\${ISTIO_BIN}/envoy"; fi
"\${ISTIO_OUT}/envoy"
`;

/** In the shape of 1.4's bin/init_helm.sh: a sentinel file decides whether to download. */
export const INIT_HELM_SH = `#!/bin/bash
set -o errexit -o nounset -o pipefail
GO_TOP=\${GOPATH%%:*}
OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
HELM_VER=\${HELM_VER:-v2.10.0}
if [[ ! -f "\${ISTIO_OUT}/version.helm.\${HELM_VER}" ]]; then
  mkdir -p "$ISTIO_OUT" && cd "$ISTIO_OUT"
  echo "fetching helm" >&2
  curl -fLSs "https://storage.googleapis.com/kubernetes-helm/helm-\${HELM_VER}-linux-amd64.tar.gz" | tar xz
  cp linux-amd64/helm "helm-\${HELM_VER}"
  cp linux-amd64/helm helm
  touch "version.helm.\${HELM_VER}"
fi
"\${ISTIO_OUT}/helm"
`;


export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function tarball(dir: string, member: string, content: string | Buffer): Promise<Buffer> {
  const src = await fs.mkdtemp(path.join(dir, 'tarsrc-'));
  await fs.mkdir(path.join(src, path.dirname(member)), { recursive: true });
  await fs.writeFile(path.join(src, member), content, { mode: 0o755 });
  const out = `${src}.tar.gz`;
  execFileSync('tar', ['-C', src, '-czf', out, member.split('/')[0]]);
  return fs.readFile(out);
}

/** The loopback "upstream": storage.googleapis.com paths and a Go download index, as routes for startServer. */
export async function upstreamRoutes(dir: string, go?: { version: string; arch: string; tarball: Buffer }) {
  const kubectl = Buffer.from('#!/bin/sh\necho kubectl v1.13.10\n');
  const routes: Record<string, Buffer | string | { body: string; contentType: string }> = {
    [`/istio-build/proxy/envoy-debug-${PROXY_SHA}.tar.gz`]: await tarball(dir, 'usr/local/bin/envoy', '#!/bin/sh\necho envoy debug build\n'),
    [`/istio-build/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`]: await tarball(dir, 'usr/local/bin/envoy', '#!/bin/sh\necho envoy release build\n'),
    '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': await tarball(dir, 'linux-amd64/helm', '#!/bin/sh\necho helm v2.10.0\n'),
    '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
    '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': `${sha256(kubectl)}\n`,
  };
  if (go) {
    const file = `go${go.version}.linux-${go.arch}.tar.gz`;
    const index = [{ version: `go${go.version}`, stable: true, files: [{ filename: file, os: 'linux', arch: go.arch, version: `go${go.version}`, sha256: sha256(go.tarball), size: go.tarball.length, kind: 'archive' }] }];
    routes['/dl/'] = { body: JSON.stringify(index), contentType: 'application/json' };
    routes[`/dl/${file}`] = go.tarball;
  }
  return routes;
}

/** A Go release tarball made here from the installed go binary: go/bin/go + go/VERSION. */
export async function goTarball(dir: string, goBin: string, version: string): Promise<Buffer> {
  const src = path.join(dir, 'gosrc');
  await fs.mkdir(path.join(src, 'go', 'bin'), { recursive: true });
  await fs.copyFile(goBin, path.join(src, 'go', 'bin', 'go'));
  await fs.chmod(path.join(src, 'go', 'bin', 'go'), 0o755);
  await fs.writeFile(path.join(src, 'go', 'VERSION'), `go${version}\n`);
  const out = path.join(dir, 'go.tar.gz');
  execFileSync('tar', ['-C', src, '-czf', out, 'go']);
  return fs.readFile(out);
}

export interface BundleCheckoutOptions {
  /** go.mod's go line */
  goLine: string;
  /** a GOPROXY dir to require example.com/hello from (go.sum written); none: no requirement */
  proxy?: string;
  /** FROM line of the checkout's one Dockerfile; none: no Dockerfile */
  from?: string;
  home: string;
}

/** A git-committed checkout at <gopath>/src/istio.io/istio. */
export async function bundleCheckout(gopath: string, opts: BundleCheckoutOptions): Promise<string> {
  const root = path.join(gopath, 'src', 'istio.io', 'istio');
  const deps = JSON.stringify([{ _comment: '', name: 'PROXY_REPO_SHA', repoDir: 'src/proxy', repoName: 'proxy', file: '', lastStableSHA: PROXY_SHA }], null, 2);
  await istioFixture(root, {
    files: {
      'Makefile.core.mk': MAKEFILE,
      'istio.deps': deps,
      'bin/init.sh': INIT_SH,
      'bin/init_helm.sh': INIT_HELM_SH,
      'docker/Dockerfile.kubectl': `FROM docker.io/istio/base:1.4-dev.4\nADD ${KUBECTL_URL} /usr/bin/kubectl\nRUN chmod +x /usr/bin/kubectl\n`,
      ...(opts.from
        ? {
            'pilot/docker/Dockerfile.pilot': `FROM ${opts.from}\nCOPY pilot-discovery /usr/local/bin/\n`,
            // What `make docker` builds, in the 1.4 shape (tools/istio-docker.mk): the bundle carries only those FROM images.
            'tools/istio-docker.mk': 'docker: docker.all\n\nDOCKER_TARGETS ?= docker.pilot docker.kubectl\n\ndocker.pilot: BUILD_ARGS=--build-arg BASE_VERSION=${BASE_VERSION}\ndocker.pilot: $(ISTIO_OUT_LINUX)/pilot-discovery\ndocker.pilot: pilot/docker/Dockerfile.pilot\n\t$(DOCKER_RULE)\n\ndocker.kubectl: docker/Dockerfile.kubectl\n\t$(DOCKER_RULE)\n',
          }
        : {}),
      'main.go': opts.proxy
        ? 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/hello"\n)\n\nfunc main() { fmt.Println(hello.Hello()) }\n'
        : 'package main\n\nfunc main() {}\n',
    },
  });
  await fs.writeFile(path.join(root, 'go.mod'), `module istio.io/istio\n\ngo ${opts.goLine}\n${opts.proxy ? '\nrequire example.com/hello v1.0.0\n' : ''}`);
  if (opts.proxy) writeGoSum(root, opts.proxy, path.join(gopath, '.sumgen'), opts.home);
  const git = (args: string[]) => execFileSync('git', ['-C', root, ...args], { env: { PATH: process.env.PATH, HOME: opts.home, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' }, stdio: 'pipe' });
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-qm', 'fixture']);
  return root;
}

/** Publishes example.com/hello v1.0.0 into a GOPROXY dir. */
export async function helloProxy(proxy: string): Promise<void> {
  await publishModule(proxy, 'example.com/hello', 'v1.0.0', {
    'go.mod': 'module example.com/hello\n\ngo 1.13\n',
    'hello.go': 'package hello\n\nfunc Hello() string { return "hello from the bundle" }\n',
  });
}
