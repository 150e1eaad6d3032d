/**
 * Fixture trees in the shape of each Istio release line, written for devenv's
 * tests (never copies of Istio's files): Makefiles with the variables and the
 * `init` target each line has, istio.deps, go.mod or Gopkg, and small init
 * scripts of our own with the same URL forms, skip-if-exists rules and
 * destinations as that line's bin/init.sh, bin/init_helm.sh and
 * bin/build_ztunnel.sh. `make init` runs them for real (host mode).
 *
 * Families and the line each one is shaped after (the default `minor`):
 *   1.1        dep, no go.mod; GOPATH layout; envoy debug+release, no copy beside; helm v2.9.1
 *   1.2-1.3    go.mod go 1.12 + committed vendor/; + the unconditional istio_proxy.deps fetch
 *              (minor 2: 1.1-shaped init.sh; minor 3: download_envoy_if_necessary with `envoy` beside)
 *   1.4        modules; GOPATH layout; $ISTIO_OUT/envoy = the debug build; helm v2.10.0
 *   1.5        ./out layout; debug only with DEBUG_IMAGE; stats/metadata_exchange .wasm
 *   1.6-1.7    + common/scripts/setup_env.sh; minor 7 adds .compiled.wasm
 *   1.8-1.16   + centos Envoy; minor 8: vars exported by Makefile.core.mk, centos copied beside as ${SIDECAR};
 *              minor 16 (default): vars in init.sh, `-<TARGET_ARCH>` suffix for non-amd64, copies named by ${3}
 *              (1.17's bin/init.sh is 1.16's, byte for byte)
 *   1.18       1.16's bin/init.sh without the wasm loop (centos kept); + ztunnel via init-ztunnel-rs →
 *              bin/build_ztunnel.sh; go.mod go 1.20
 *   1.20+      no wasm, no centos; ztunnel via init-ztunnel-rs → bin/build_ztunnel.sh
 *              (1.19's bin/init.sh and download part of bin/build_ztunnel.sh are 1.20's)
 *   master     blob.istio.io base URLs; s3:// handled by the script
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export const FAMILIES = ['1.1', '1.2-1.3', '1.4', '1.5', '1.6-1.7', '1.8-1.16', '1.18', '1.20+', 'master'] as const;
export type Family = (typeof FAMILIES)[number];

export interface TreeOptions {
  /** the line within the family (2/3, 6/7, 8/16); default the later one */
  minor?: number;
  proxySha?: string;
  ztunnelSha?: string;
  /** extra files, relative to the tree root */
  files?: Record<string, string>;
}

export interface IstioTree {
  family: Family;
  minor: number;
  root: string;
  /** GOPATH the tree sits in (gopath-layout lines: dir; the tree is dir/src/istio.io/istio) */
  gopath?: string;
  proxySha: string;
  ztunnelSha?: string;
  helmVersion?: string;
  kubectlVersion?: string;
  /** gopath (1.1–1.4) or modern (./out) */
  era: 'gopath' | 'modern';
}

export const PROXY_SHA = '383b3bdb52c03ea8f0ab3f8d2d2a4e4c7a1b9e51';
export const ZTUNNEL_SHA = '1226c1b30c6f3e2f4d6a9c1b2e3f405162738495';

const GCS = 'https://storage.googleapis.com';
const BLOB = 'https://blob.istio.io';

const defaultMinor: Record<Family, number> = { '1.1': 1, '1.2-1.3': 3, '1.4': 4, '1.5': 5, '1.6-1.7': 7, '1.8-1.16': 16, '1.18': 18, '1.20+': 24, master: 99 };

function deps(proxy: string, ztunnel?: string): string {
  const entry = (name: string, repo: string, sha: string) =>
    `  {\n    "_comment": "",\n    "name": "${name}",\n    "repoName": "${repo}",\n    "file": "",\n    "lastStableSHA": "${sha}"\n  }`;
  return `[\n${[entry('PROXY_REPO_SHA', 'proxy', proxy), ...(ztunnel ? [entry('ZTUNNEL_REPO_SHA', 'ztunnel', ztunnel)] : [])].join(',\n')}\n]\n`;
}

const HEADER = (line: string, what: string) => `#!/bin/bash\n# devenv test fixture: ${what} in the shape of Istio ${line} (written for these tests)\n`;
const STRICT = 'set -o errexit\nset -o nounset\nset -o pipefail\n';

// ---- 1.1 / 1.2: everything inline, both tarballs fetched if either is missing, no `envoy` beside them.
function init11(minor: number): string {
  return `${HEADER(`1.${minor}`, 'bin/init.sh')}ROOTDIR=$(cd "$(dirname "$0")"/..; pwd)
${STRICT}GO_TOP=$(cd "$(dirname "$0")"/../../../..; pwd)
export OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
export GOPATH=\${GOPATH:-$GO_TOP}
export ISTIO_BIN=\${ISTIO_BIN:-\${GOPATH}/bin}
export GOARCH=\${GOARCH:-'amd64'}
LOCAL_OS=\${LOCAL_OS:-"$(uname)"}
export GOOS=\${GOOS:-"linux"}
export ISTIO_OUT=\${ISTIO_OUT:-\${ISTIO_BIN}}
DOWNLOAD_COMMAND='curl -fLSs'
if [ -z "\${PROXY_REPO_SHA:-}" ] ; then
  PROXY_REPO_SHA=$(grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')
  export PROXY_REPO_SHA
fi
ISTIO_ENVOY_VERSION=\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}
ISTIO_ENVOY_DEBUG_URL=\${ISTIO_ENVOY_DEBUG_URL:-${GCS}/istio-build/proxy/envoy-debug-\${ISTIO_ENVOY_VERSION}.tar.gz}
ISTIO_ENVOY_RELEASE_URL=\${ISTIO_ENVOY_RELEASE_URL:-${GCS}/istio-build/proxy/envoy-alpha-\${ISTIO_ENVOY_VERSION}.tar.gz}
ISTIO_ENVOY_DEBUG_DIR=\${ISTIO_ENVOY_DEBUG_DIR:-"\${OUT_DIR}/\${GOOS}_\${GOARCH}/debug"}
ISTIO_ENVOY_DEBUG_NAME=\${ISTIO_ENVOY_DEBUG_NAME:-"envoy-debug-$ISTIO_ENVOY_VERSION"}
ISTIO_ENVOY_DEBUG_PATH=\${ISTIO_ENVOY_DEBUG_PATH:-"$ISTIO_ENVOY_DEBUG_DIR/$ISTIO_ENVOY_DEBUG_NAME"}
ISTIO_ENVOY_RELEASE_DIR=\${ISTIO_ENVOY_RELEASE_DIR:-"\${OUT_DIR}/\${GOOS}_\${GOARCH}/release"}
ISTIO_ENVOY_RELEASE_NAME=\${ISTIO_ENVOY_RELEASE_NAME:-"envoy-$ISTIO_ENVOY_VERSION"}
ISTIO_ENVOY_RELEASE_PATH=\${ISTIO_ENVOY_RELEASE_PATH:-"$ISTIO_ENVOY_RELEASE_DIR/$ISTIO_ENVOY_RELEASE_NAME"}
if [ ! -f "$ISTIO_ENVOY_DEBUG_PATH" ] || [ ! -f "$ISTIO_ENVOY_RELEASE_PATH" ] ; then
    rm -f "\${ISTIO_OUT}/envoy" "\${ISTIO_BIN}/envoy"
    mkdir -p "$ISTIO_ENVOY_DEBUG_DIR"
    pushd "$ISTIO_ENVOY_DEBUG_DIR" >/dev/null
    echo "DOWNLOADING \${ISTIO_ENVOY_DEBUG_URL}" >&2
    \${DOWNLOAD_COMMAND} "\${ISTIO_ENVOY_DEBUG_URL}" | tar xz
    cp usr/local/bin/envoy "$ISTIO_ENVOY_DEBUG_PATH"
    rm -rf usr
    popd >/dev/null
    mkdir -p "$ISTIO_ENVOY_RELEASE_DIR"
    pushd "$ISTIO_ENVOY_RELEASE_DIR" >/dev/null
    echo "DOWNLOADING \${ISTIO_ENVOY_RELEASE_URL}" >&2
    \${DOWNLOAD_COMMAND} "\${ISTIO_ENVOY_RELEASE_URL}" | tar xz
    cp usr/local/bin/envoy "$ISTIO_ENVOY_RELEASE_PATH"
    rm -rf usr
    popd >/dev/null
fi
mkdir -p "\${ISTIO_OUT}"
mkdir -p "\${ISTIO_BIN}"
if [ "$LOCAL_OS" == "Darwin" ]; then
    echo "fixture: macOS is not modelled" >&2
    exit 1
else
    cp -f "\${ISTIO_ENVOY_DEBUG_PATH}" "\${ISTIO_OUT}/envoy"
    cp "\${ISTIO_ENVOY_DEBUG_PATH}" "\${ISTIO_BIN}/envoy"
fi
${minor >= 2 ? PROXY_DEPS : ''}"\${ROOTDIR}/bin/init_helm.sh"
`;
}

// 1.2 and 1.3: fetched on every run, no skip-if-exists, under errexit + pipefail.
const PROXY_DEPS = `ISTIO_PROXY_DEPS_URL="https://raw.githubusercontent.com/istio/proxy/\${PROXY_REPO_SHA}/istio.deps"
ISTIO_PROXY_DEPS_FILE="\${ISTIO_OUT}/istio_proxy.deps"
echo "DOWNLOADING \${ISTIO_PROXY_DEPS_URL}" >&2
\${DOWNLOAD_COMMAND} "\${ISTIO_PROXY_DEPS_URL}" | sed -n '/name/,/lastStableSHA/{ //p; }' | cut -d: -f2 > "\${ISTIO_PROXY_DEPS_FILE}"
`;

function envoyFn(beside: string, member: string): string {
  return `function download_envoy_if_necessary () {
  if [[ ! -f "$2" ]] ; then
    mkdir -p "$(dirname "$2")"
    pushd "$(dirname "$2")" >/dev/null
    echo "DOWNLOADING $1" >&2
    \${DOWNLOAD_COMMAND} --header "\${AUTH_HEADER:-}" "$1" | tar xz
    cp usr/local/bin/${member} "$2"
    rm -rf usr
    cp -f "$2" "$(dirname "$2")/${beside}"
    popd >/dev/null
  fi
}
`;
}

const WASM_FN = `function download_wasm_if_necessary () {
  download_file_dir="$(dirname "$2")"
  download_file_name="$(basename "$1")"
  download_file_path="\${download_file_dir}/\${download_file_name}"
  if [[ ! -f "\${download_file_path}" ]] ; then
    mkdir -p "\${download_file_dir}"
    pushd "\${download_file_dir}" >/dev/null
    echo "DOWNLOADING $1" >&2
    \${DOWNLOAD_COMMAND} --header "\${AUTH_HEADER:-}" "$1" -o "\${download_file_name}"
    cp "\${download_file_path}" "$2"
    popd >/dev/null
  fi
}
`;

function wasmLoop(compiled: boolean): string {
  return `WASM_RELEASE_DIR=\${ISTIO_ENVOY_LINUX_RELEASE_DIR}
for plugin in stats metadata_exchange
do
  FILTER_WASM_URL="\${ISTIO_ENVOY_BASE_URL}/\${plugin}-\${ISTIO_ENVOY_VERSION}.wasm"
  download_wasm_if_necessary "\${FILTER_WASM_URL}" "\${WASM_RELEASE_DIR}"/"\${plugin//_/-}"-filter.wasm
${compiled ? `  FILTER_WASM_URL="\${ISTIO_ENVOY_BASE_URL}/\${plugin}-\${ISTIO_ENVOY_VERSION}.compiled.wasm"
  download_wasm_if_necessary "\${FILTER_WASM_URL}" "\${WASM_RELEASE_DIR}"/"\${plugin//_/-}"-filter.compiled.wasm
` : ''}done
`;
}

/** The LINUX_* variables, as 1.3–1.7 init.sh default them (1.3/1.4: OUT_DIR/linux_amd64; 1.5+: TARGET_OUT_LINUX). */
function linuxVars(dir: string, base: string | undefined, releaseName: string): string {
  const url = (kind: string) => (base ? `\${ISTIO_ENVOY_BASE_URL}/envoy-${kind}-\${ISTIO_ENVOY_LINUX_VERSION}.tar.gz` : `${GCS}/istio-build/proxy/envoy-${kind}-\${ISTIO_ENVOY_LINUX_VERSION}.tar.gz`);
  return `${base ? `ISTIO_ENVOY_BASE_URL=\${ISTIO_ENVOY_BASE_URL:-${base}}\n` : ''}ISTIO_ENVOY_VERSION=\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}
ISTIO_ENVOY_LINUX_VERSION=\${ISTIO_ENVOY_LINUX_VERSION:-\${ISTIO_ENVOY_VERSION}}
ISTIO_ENVOY_DEBUG_URL=\${ISTIO_ENVOY_DEBUG_URL:-${url('debug')}}
ISTIO_ENVOY_RELEASE_URL=\${ISTIO_ENVOY_RELEASE_URL:-${url('alpha')}}
ISTIO_ENVOY_LINUX_DEBUG_URL=\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_DEBUG_URL}}
ISTIO_ENVOY_LINUX_RELEASE_URL=\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_RELEASE_URL}}
ISTIO_ENVOY_LINUX_DEBUG_DIR=\${ISTIO_ENVOY_LINUX_DEBUG_DIR:-"${dir}/debug"}
ISTIO_ENVOY_LINUX_DEBUG_NAME=\${ISTIO_ENVOY_LINUX_DEBUG_NAME:-"envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}"}
ISTIO_ENVOY_LINUX_DEBUG_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH:-"\${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}"}
ISTIO_ENVOY_LINUX_RELEASE_DIR=\${ISTIO_ENVOY_LINUX_RELEASE_DIR:-"${dir}/release"}
ISTIO_ENVOY_LINUX_RELEASE_NAME=\${ISTIO_ENVOY_LINUX_RELEASE_NAME:-"${releaseName}-\${ISTIO_ENVOY_LINUX_VERSION}"}
ISTIO_ENVOY_LINUX_RELEASE_PATH=\${ISTIO_ENVOY_LINUX_RELEASE_PATH:-"\${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}"}
`;
}

// ---- 1.3 / 1.4: download_envoy_if_necessary (skip if the versioned file exists, copy `envoy` beside it),
// debug always, $ISTIO_OUT/envoy from the debug build, $ISTIO_BIN/envoy from $ISTIO_OUT/envoy.
function init13(minor: number): string {
  return `${HEADER(`1.${minor}`, 'bin/init.sh')}ROOTDIR=$(cd "$(dirname "$0")"/..; pwd)
${STRICT}${minor >= 4 ? 'export GO_TOP=${GO_TOP:-$(echo "${GOPATH}" | cut -d \':\' -f1)}' : 'GO_TOP=$(cd "$(dirname "$0")"/../../../..; pwd)'}
export OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
export GOPATH=\${GOPATH:-$GO_TOP}
export ISTIO_BIN=\${ISTIO_BIN:-\${GOPATH}/bin}
export GOARCH=\${GOARCH:-'amd64'}
LOCAL_OS=\${LOCAL_OS:-"$(uname)"}
export GOOS=\${GOOS:-"linux"}
export ISTIO_OUT=\${ISTIO_OUT:-\${ISTIO_BIN}}
DOWNLOAD_COMMAND='curl -fLSs'
${envoyFn('envoy', 'envoy')}if [[ -z "\${PROXY_REPO_SHA:-}" ]] ; then
  PROXY_REPO_SHA=$(grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')
  export PROXY_REPO_SHA
fi
${linuxVars('${OUT_DIR}/linux_amd64', minor >= 4 ? `${GCS}/istio-build/proxy` : undefined, 'envoy')}USE_LOCAL_PROXY=\${USE_LOCAL_PROXY:-0}
if [[ \${USE_LOCAL_PROXY} == 1 ]] ; then
  ISTIO_ENVOY_LINUX_DEBUG_PATH=\${ISTIO_ENVOY_LOCAL_PATH}
  ISTIO_ENVOY_LINUX_RELEASE_PATH=\${ISTIO_ENVOY_LOCAL_PATH}
fi
mkdir -p "\${ISTIO_OUT}"
mkdir -p "\${ISTIO_BIN}"
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$ISTIO_ENVOY_LINUX_DEBUG_PATH"
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$ISTIO_ENVOY_LINUX_RELEASE_PATH"
if [[ "$LOCAL_OS" == "Darwin" ]]; then
  echo "fixture: macOS is not modelled" >&2
  exit 1
else
  ISTIO_ENVOY_NATIVE_PATH=\${ISTIO_ENVOY_LINUX_DEBUG_PATH}
fi
cp -f "\${ISTIO_ENVOY_NATIVE_PATH}" "\${ISTIO_OUT}/envoy"
cp -f "\${ISTIO_OUT}/envoy" "\${ISTIO_BIN}/envoy"
${minor === 3 ? PROXY_DEPS : ''}"\${ROOTDIR}/bin/init_helm.sh"
`;
}

function initHelm(minor: number): string {
  return `${HEADER(`1.${minor}`, 'bin/init_helm.sh')}${STRICT}${minor >= 4 ? 'export GO_TOP=${GO_TOP:-$(echo "${GOPATH}" | cut -d \':\' -f1)}' : 'GO_TOP=$(cd "$(dirname "$0")"/../../../..; pwd)'}
export OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
HELM_VER=\${HELM_VER:-${minor >= 4 ? 'v2.10.0' : 'v2.9.1'}}
export GOPATH=\${GOPATH:-$GO_TOP}
export ISTIO_BIN=\${ISTIO_BIN:-\${GOPATH}/bin}
LOCAL_OS=linux
export ISTIO_OUT=\${ISTIO_OUT:-\${ISTIO_BIN}}
if [ ! -f "\${ISTIO_OUT}/version.helm.\${HELM_VER}" ] ; then
    TD=$(mktemp -d)
    echo "DOWNLOADING helm \${HELM_VER}" >&2
    cd "\${TD}" && \\
        curl -fLo "\${TD}/helm.tgz" "${GCS}/kubernetes-helm/helm-\${HELM_VER}-\${LOCAL_OS}-amd64.tar.gz" && \\
        tar xfz helm.tgz && \\
        mv \${LOCAL_OS}-amd64/helm "\${ISTIO_OUT}/helm-\${HELM_VER}" && \\
        cp "\${ISTIO_OUT}/helm-\${HELM_VER}" "\${ISTIO_OUT}/helm" && \\
        rm -rf "\${TD}" && \\
        touch "\${ISTIO_OUT}/version.helm.\${HELM_VER}"
fi
`;
}

// ---- 1.5 → 1.18: ./out layout, DEBUG_IMAGE gate, wasm (to 1.17); 1.8+: centos.
function initModern(minor: number): string {
  const sidecar = minor >= 7 ? '${SIDECAR}' : 'envoy';
  const beside = minor >= 12 ? '${3}' : sidecar;
  const third = (name: string) => (minor >= 12 ? ` "${name}"` : '');
  const vars16 = minor >= 16;
  const guard = vars16
    ? 'if [[ "${TARGET_OUT_LINUX:-}" == "" ]]; then\n  echo "run this through make init" >&2\n  exit 1\nfi\n'
    : minor >= 8
      ? 'if [[ "${ISTIO_ENVOY_LINUX_RELEASE_URL:-}" == "" ]]; then\n  echo "run this through make init" >&2\n  exit 1\nfi\n'
      : '';
  const arch = vars16 ? 'if [[ "${TARGET_ARCH}" == "amd64" ]]; then\n\tISTIO_ENVOY_ARCH_SUFFIX=""\nelse\n\tISTIO_ENVOY_ARCH_SUFFIX="-${TARGET_ARCH}"\nfi\n' : '';
  const centos = minor >= 8;
  const wasm = minor <= 17; // 1.18 keeps download_wasm_if_necessary but no longer calls it
  const own16 = vars16
    ? `PROXY_REPO_SHA="\${PROXY_REPO_SHA:-$(grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')}"
ISTIO_ENVOY_BASE_URL="\${ISTIO_ENVOY_BASE_URL:-${GCS}/istio-build/proxy}"
SIDECAR="\${SIDECAR:-envoy}"
ISTIO_ENVOY_VERSION="\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}"
ISTIO_ENVOY_DEBUG_URL="\${ISTIO_ENVOY_DEBUG_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-debug-\${ISTIO_ENVOY_VERSION}\${ISTIO_ENVOY_ARCH_SUFFIX}.tar.gz}"
ISTIO_ENVOY_CENTOS_RELEASE_URL="\${ISTIO_ENVOY_CENTOS_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-centos-alpha-\${ISTIO_ENVOY_VERSION}.tar.gz}"
ISTIO_ENVOY_RELEASE_URL="\${ISTIO_ENVOY_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-alpha-\${ISTIO_ENVOY_VERSION}\${ISTIO_ENVOY_ARCH_SUFFIX}.tar.gz}"
ISTIO_ENVOY_LINUX_VERSION="\${ISTIO_ENVOY_LINUX_VERSION:-\${ISTIO_ENVOY_VERSION}}"
ISTIO_ENVOY_LINUX_DEBUG_URL="\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_DEBUG_URL}}"
ISTIO_ENVOY_LINUX_RELEASE_URL="\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_RELEASE_URL}}"
ISTIO_ENVOY_LINUX_DEBUG_DIR="\${ISTIO_ENVOY_LINUX_DEBUG_DIR:-\${TARGET_OUT_LINUX}/debug}"
ISTIO_ENVOY_LINUX_DEBUG_NAME="\${ISTIO_ENVOY_LINUX_DEBUG_NAME:-envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}}"
ISTIO_ENVOY_LINUX_DEBUG_PATH="\${ISTIO_ENVOY_LINUX_DEBUG_PATH:-\${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}}"
ISTIO_ENVOY_LINUX_RELEASE_DIR="\${ISTIO_ENVOY_LINUX_RELEASE_DIR:-\${TARGET_OUT_LINUX}/release}"
ISTIO_ENVOY_LINUX_RELEASE_NAME="\${ISTIO_ENVOY_LINUX_RELEASE_NAME:-\${SIDECAR}-\${ISTIO_ENVOY_VERSION}}"
ISTIO_ENVOY_LINUX_RELEASE_PATH="\${ISTIO_ENVOY_LINUX_RELEASE_PATH:-\${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}}"
ISTIO_ENVOY_CENTOS_LINUX_RELEASE_NAME="\${ISTIO_ENVOY_CENTOS_LINUX_RELEASE_NAME:-envoy-centos-\${ISTIO_ENVOY_LINUX_VERSION}}"
ISTIO_ENVOY_CENTOS_LINUX_RELEASE_PATH="\${ISTIO_ENVOY_CENTOS_LINUX_RELEASE_PATH:-\${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_CENTOS_LINUX_RELEASE_NAME}}"
`
    : minor < 8
      ? `if [[ -z "\${PROXY_REPO_SHA:-}" ]] ; then
  PROXY_REPO_SHA=$(grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')
  export PROXY_REPO_SHA
fi
${linuxVars('${TARGET_OUT_LINUX}', `${GCS}/istio-build/proxy`, minor >= 7 ? '${SIDECAR}' : 'envoy')}`
      : '';
  const out = vars16 ? 'TARGET_OUT' : 'ISTIO_OUT';
  const outLinux = vars16 ? 'TARGET_OUT_LINUX' : 'ISTIO_OUT_LINUX';
  const native = minor >= 16 ? 'ISTIO_ENVOY_NATIVE_PATH=${ISTIO_ENVOY_LINUX_RELEASE_PATH}\n' : 'if [[ "$GOOS_LOCAL" == "darwin" ]]; then\n  echo "fixture: macOS is not modelled" >&2\n  exit 1\nelse\n  ISTIO_ENVOY_NATIVE_PATH=${ISTIO_ENVOY_LINUX_RELEASE_PATH}\nfi\n';
  return `${HEADER(`1.${minor}`, 'bin/init.sh')}${STRICT}${guard}${arch}${own16}DOWNLOAD_COMMAND='curl -fLSs'
${envoyFn(beside, minor >= 7 ? '"${SIDECAR}"' : 'envoy')}${WASM_FN}mkdir -p "\${${out}}"
if [[ -n "\${DEBUG_IMAGE:-}" ]]; then
  download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$ISTIO_ENVOY_LINUX_DEBUG_PATH"${third('${SIDECAR}')}
else
  echo "Skipping envoy debug. Set DEBUG_IMAGE to download." >&2
fi
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$ISTIO_ENVOY_LINUX_RELEASE_PATH"${third('${SIDECAR}')}
${centos ? `download_envoy_if_necessary "\${ISTIO_ENVOY_CENTOS_RELEASE_URL}" "$ISTIO_ENVOY_CENTOS_LINUX_RELEASE_PATH"${third('${SIDECAR}-centos')}\n` : ''}${native}${wasm ? wasmLoop(minor >= 7) : ''}cp -f "\${ISTIO_ENVOY_NATIVE_PATH}" "\${${out}}/${sidecar}"
${centos ? `cp -f "\${ISTIO_ENVOY_CENTOS_LINUX_RELEASE_PATH}" "\${${outLinux}}/\${SIDECAR}-centos"\n` : ''}if [[ "$GOOS_LOCAL" != "linux" ]]; then
  cp -f "\${ISTIO_ENVOY_LINUX_RELEASE_PATH}" "\${${outLinux}}/${sidecar}"
fi
`;
}

// ---- 1.20 → master: no wasm/centos; s3:// presigning on master.
function init20(master: boolean): string {
  const base = master ? `${BLOB}/istio-build/proxy` : `${GCS}/istio-build/proxy`;
  const s3 = master
    ? `  local URL="$1"
  if [[ "$1" == s3://* ]]; then
    if ! URL=$(aws s3 presign "$1" --expires-in 60); then
      return 1
    fi
  fi
`
    : '  local URL="$1"\n';
  return `${HEADER(master ? 'master' : '1.24', 'bin/init.sh')}${STRICT}if [[ "\${TARGET_OUT_LINUX:-}" == "" ]]; then
  echo "run this through make init" >&2
  exit 1
fi
if [[ "\${TARGET_ARCH}" == "amd64" ]]; then
\tISTIO_ENVOY_ARCH_SUFFIX=""
else
\tISTIO_ENVOY_ARCH_SUFFIX="-\${TARGET_ARCH}"
fi
PROXY_REPO_SHA="\${PROXY_REPO_SHA:-$(grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')}"
ISTIO_ENVOY_BASE_URL="\${ISTIO_ENVOY_BASE_URL:-${base}}"
SIDECAR="\${SIDECAR:-envoy}"
ISTIO_ENVOY_VERSION="\${ISTIO_ENVOY_VERSION:-\${PROXY_REPO_SHA}}"
ISTIO_ENVOY_DEBUG_URL="\${ISTIO_ENVOY_DEBUG_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-debug-\${ISTIO_ENVOY_VERSION}\${ISTIO_ENVOY_ARCH_SUFFIX}.tar.gz}"
ISTIO_ENVOY_RELEASE_URL="\${ISTIO_ENVOY_RELEASE_URL:-\${ISTIO_ENVOY_BASE_URL}/envoy-alpha-\${ISTIO_ENVOY_VERSION}\${ISTIO_ENVOY_ARCH_SUFFIX}.tar.gz}"
ISTIO_ENVOY_LINUX_VERSION="\${ISTIO_ENVOY_LINUX_VERSION:-\${ISTIO_ENVOY_VERSION}}"
ISTIO_ENVOY_LINUX_DEBUG_URL="\${ISTIO_ENVOY_LINUX_DEBUG_URL:-\${ISTIO_ENVOY_DEBUG_URL}}"
ISTIO_ENVOY_LINUX_RELEASE_URL="\${ISTIO_ENVOY_LINUX_RELEASE_URL:-\${ISTIO_ENVOY_RELEASE_URL}}"
ISTIO_ENVOY_LINUX_DEBUG_DIR="\${ISTIO_ENVOY_LINUX_DEBUG_DIR:-\${TARGET_OUT_LINUX}/debug}"
ISTIO_ENVOY_LINUX_DEBUG_NAME="\${ISTIO_ENVOY_LINUX_DEBUG_NAME:-envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}}"
ISTIO_ENVOY_LINUX_DEBUG_PATH="\${ISTIO_ENVOY_LINUX_DEBUG_PATH:-\${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}}"
ISTIO_ENVOY_LINUX_RELEASE_DIR="\${ISTIO_ENVOY_LINUX_RELEASE_DIR:-\${TARGET_OUT_LINUX}/release}"
ISTIO_ENVOY_LINUX_RELEASE_NAME="\${ISTIO_ENVOY_LINUX_RELEASE_NAME:-\${SIDECAR}-\${ISTIO_ENVOY_VERSION}}"
ISTIO_ENVOY_LINUX_RELEASE_PATH="\${ISTIO_ENVOY_LINUX_RELEASE_PATH:-\${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}}"
DOWNLOAD_COMMAND='curl -fLSs'
function download_envoy_if_necessary () {
${s3}  if [[ ! -f "$2" ]] ; then
    mkdir -p "$(dirname "$2")"
    pushd "$(dirname "$2")" >/dev/null
    echo "DOWNLOADING $1" >&2
    \${DOWNLOAD_COMMAND} "\${URL}" | tar --extract --gzip --strip-components=3 --to-stdout > "$2"
    chmod +x "$2"
    cp -f "$2" "$(dirname "$2")/\${3}"
    popd >/dev/null
  fi
}
mkdir -p "\${TARGET_OUT}"
if [[ -n "\${DEBUG_IMAGE:-}" ]]; then
  download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_DEBUG_URL}" "$ISTIO_ENVOY_LINUX_DEBUG_PATH" "\${SIDECAR}"
else
  echo "Skipping envoy debug. Set DEBUG_IMAGE to download." >&2
fi
download_envoy_if_necessary "\${ISTIO_ENVOY_LINUX_RELEASE_URL}" "$ISTIO_ENVOY_LINUX_RELEASE_PATH" "\${SIDECAR}"
ISTIO_ENVOY_NATIVE_PATH=\${ISTIO_ENVOY_LINUX_RELEASE_PATH}
cp -f "\${ISTIO_ENVOY_NATIVE_PATH}" "\${TARGET_OUT}/\${SIDECAR}"
if [[ "$GOOS_LOCAL" != "linux" ]]; then
  cp -f "\${ISTIO_ENVOY_LINUX_RELEASE_PATH}" "\${TARGET_OUT_LINUX}/\${SIDECAR}"
fi
`;
}

function buildZtunnel(master: boolean): string {
  const base = master ? `${BLOB}/istio-build/ztunnel` : `${GCS}/istio-build/ztunnel`;
  return `${HEADER(master ? 'master' : '1.18–1.24', 'bin/build_ztunnel.sh')}${STRICT}if [[ "\${TARGET_OUT_LINUX:-}" == "" ]]; then
  echo "run this through make init" >&2
  exit 1
fi
DOWNLOAD_COMMAND='curl -fLSs'
function download_ztunnel_if_necessary () {
  if [[ -f "$2" ]]; then
    return
  fi
  mkdir -p "$(dirname "$2")"
  pushd "$(dirname "$2")" >/dev/null
  echo "DOWNLOADING $1" >&2
  \${DOWNLOAD_COMMAND} "$1" > "$2"
  chmod +x "$2"
  cp -f "$2" "$(dirname "$2")/\${3}"
  popd >/dev/null
  cp -f "\${2}" "\${TARGET_OUT_LINUX}/ztunnel"
}
ISTIO_ZTUNNEL_BASE_URL="\${ISTIO_ZTUNNEL_BASE_URL:-${base}}"
ZTUNNEL_REPO_SHA="\${ZTUNNEL_REPO_SHA:-$(grep ZTUNNEL_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')}"
ISTIO_ZTUNNEL_VERSION="\${ISTIO_ZTUNNEL_VERSION:-\${ZTUNNEL_REPO_SHA}}"
ISTIO_ZTUNNEL_RELEASE_URL="\${ISTIO_ZTUNNEL_RELEASE_URL:-\${ISTIO_ZTUNNEL_BASE_URL}/ztunnel-\${ISTIO_ZTUNNEL_VERSION}-\${TARGET_ARCH}}"
ISTIO_ZTUNNEL_LINUX_RELEASE_NAME="\${ISTIO_ZTUNNEL_LINUX_RELEASE_NAME:-ztunnel-\${ISTIO_ZTUNNEL_VERSION}}"
ISTIO_ZTUNNEL_LINUX_RELEASE_DIR="\${ISTIO_ZTUNNEL_LINUX_RELEASE_DIR:-\${TARGET_OUT_LINUX}/release}"
ISTIO_ZTUNNEL_LINUX_RELEASE_PATH="\${ISTIO_ZTUNNEL_LINUX_RELEASE_PATH:-\${ISTIO_ZTUNNEL_LINUX_RELEASE_DIR}/\${ISTIO_ZTUNNEL_LINUX_RELEASE_NAME}}"
download_ztunnel_if_necessary "\${ISTIO_ZTUNNEL_RELEASE_URL}" "$ISTIO_ZTUNNEL_LINUX_RELEASE_PATH" "ztunnel"
`;
}

// ---- Makefiles

const ARCH_MK = `LOCAL_ARCH := $(shell uname -m)
ifeq ($(LOCAL_ARCH),x86_64)
    GOARCH_LOCAL := amd64
else ifeq ($(LOCAL_ARCH),aarch64)
    GOARCH_LOCAL := arm64
else
    GOARCH_LOCAL := $(LOCAL_ARCH)
endif
GOOS_LOCAL := linux
`;

/** 1.1–1.3: one Makefile. */
function makefile11(minor: number): string {
  const linux = minor >= 3;
  return `# devenv test fixture: Makefile in the shape of Istio 1.${minor} (written for these tests)
SHELL := /bin/bash
ISTIO_GO := $(shell pwd)
GOPATH ?= $(shell cd \${ISTIO_GO}/../../..; pwd)
export GOPATH
GO_TOP := $(shell echo \${GOPATH} | cut -d ':' -f1)
export GO_TOP
${ARCH_MK}export GOARCH ?= $(GOARCH_LOCAL)
export GOOS ?= $(GOOS_LOCAL)
export ISTIO_BIN=$(GO_TOP)/bin
export OUT_DIR=$(GO_TOP)/out
export ISTIO_OUT:=$(GO_TOP)/out/$(GOOS)_$(GOARCH)/release
ifeq ($(PROXY_REPO_SHA),)
  export PROXY_REPO_SHA:=$(shell grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')
endif
ISTIO_ENVOY_VERSION ?= \${PROXY_REPO_SHA}
export ISTIO_ENVOY_DEBUG_URL ?= ${GCS}/istio-build/proxy/envoy-debug-$(ISTIO_ENVOY_VERSION).tar.gz
export ISTIO_ENVOY_RELEASE_URL ?= ${GCS}/istio-build/proxy/envoy-alpha-$(ISTIO_ENVOY_VERSION).tar.gz
${
  linux
    ? `export ISTIO_ENVOY_LINUX_VERSION ?= \${ISTIO_ENVOY_VERSION}
export ISTIO_ENVOY_LINUX_DEBUG_URL ?= \${ISTIO_ENVOY_DEBUG_URL}
export ISTIO_ENVOY_LINUX_RELEASE_URL ?= \${ISTIO_ENVOY_RELEASE_URL}
export ISTIO_ENVOY_LINUX_DEBUG_DIR ?= \${OUT_DIR}/linux_amd64/debug
export ISTIO_ENVOY_LINUX_DEBUG_NAME ?= envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}
export ISTIO_ENVOY_LINUX_DEBUG_PATH ?= \${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}
export ISTIO_ENVOY_LINUX_RELEASE_DIR ?= \${OUT_DIR}/linux_amd64/release
export ISTIO_ENVOY_LINUX_RELEASE_NAME ?= envoy-\${ISTIO_ENVOY_VERSION}
export ISTIO_ENVOY_LINUX_RELEASE_PATH ?= \${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}
`
    : `export ISTIO_ENVOY_DEBUG_DIR ?= \${OUT_DIR}/\${GOOS}_\${GOARCH}/debug
export ISTIO_ENVOY_DEBUG_NAME ?= envoy-debug-\${ISTIO_ENVOY_VERSION}
export ISTIO_ENVOY_DEBUG_PATH ?= \${ISTIO_ENVOY_DEBUG_DIR}/\${ISTIO_ENVOY_DEBUG_NAME}
export ISTIO_ENVOY_RELEASE_DIR ?= \${OUT_DIR}/\${GOOS}_\${GOARCH}/release
export ISTIO_ENVOY_RELEASE_NAME ?= envoy-\${ISTIO_ENVOY_VERSION}
export ISTIO_ENVOY_RELEASE_PATH ?= \${ISTIO_ENVOY_RELEASE_DIR}/\${ISTIO_ENVOY_RELEASE_NAME}
`
}GO_VERSION_REQUIRED:=1.10
VERSION ?= 1.${minor}-dev

# (the real file also runs check-go-version${minor <= 2 ? ' and check-tree' : ''} first; the fixture leaves them out)
init: $(ISTIO_OUT)/istio_is_init
	mkdir -p \${OUT_DIR}/logs

$(ISTIO_OUT)/istio_is_init: bin/init.sh istio.deps | \${ISTIO_OUT}
	ISTIO_OUT=\${ISTIO_OUT} bin/init.sh
	touch $(ISTIO_OUT)/istio_is_init

\${ISTIO_OUT}:
	mkdir -p $@
`;
}

/** 1.4+: a small Makefile that includes Makefile.core.mk (1.6+ through setup_env.sh's envfile). */
function makefileTop(minor: number): string {
  const env = minor >= 6;
  const linuxArch = minor >= 12 ? '$(TARGET_ARCH)' : 'amd64';
  return `# devenv test fixture: Makefile in the shape of Istio ${minor === 99 ? 'master' : `1.${minor}`} (written for these tests)
SHELL := /bin/bash
-include Makefile.overrides.mk
export BUILD_WITH_CONTAINER ?= 0
ifeq ($(BUILD_WITH_CONTAINER),1)
$(error fixture: container builds are not modelled; run with BUILD_WITH_CONTAINER=0)
else
${
  minor === 4
    ? ''
    : env
      ? `$(shell mkdir -p out)
$(shell $(shell pwd)/common/scripts/setup_env.sh envfile > out/.env)
include out/.env
export
`
      : `${ARCH_MK}TARGET_ARCH ?= $(GOARCH_LOCAL)
TARGET_OS ?= linux
export TARGET_ARCH TARGET_OS
export TARGET_OUT ?= $(shell pwd)/out/$(TARGET_OS)_$(TARGET_ARCH)
export TARGET_OUT_LINUX ?= $(shell pwd)/out/linux_${linuxArch}
`
}export GOBIN ?= $(GOPATH)/bin
include Makefile.core.mk
endif
`;
}

function setupEnv(minor: number): string {
  const linuxArch = minor >= 12 ? '${TARGET_ARCH}' : 'amd64';
  return `${HEADER(minor === 99 ? 'master' : `1.${minor}`, 'common/scripts/setup_env.sh')}set -e
LOCAL_ARCH=$(uname -m)
if [[ \${LOCAL_ARCH} == x86_64 ]]; then
  TARGET_ARCH=\${TARGET_ARCH:-amd64}
elif [[ \${LOCAL_ARCH} == aarch64 ]]; then
  TARGET_ARCH=\${TARGET_ARCH:-arm64}
else
  TARGET_ARCH=\${TARGET_ARCH:-\${LOCAL_ARCH}}
fi
TARGET_OS=\${TARGET_OS:-linux}
TARGET_OUT="\${TARGET_OUT:-$(pwd)/out/\${TARGET_OS}_\${TARGET_ARCH}}"
TARGET_OUT_LINUX="\${TARGET_OUT_LINUX:-$(pwd)/out/linux_${linuxArch}}"
if [[ "\${1:-}" == envfile ]]; then
  for v in TARGET_ARCH TARGET_OS TARGET_OUT TARGET_OUT_LINUX; do echo "\${v}=\${!v}"; done
fi
`;
}

function makefileCore(minor: number): string {
  const gopath = minor === 4;
  const exportsVars = minor >= 4 && minor < 16;
  const centos = minor >= 8 && minor < 20;
  const ztunnel = minor >= 18;
  const label = minor === 99 ? 'master' : `1.${minor}`;
  const layout = gopath
    ? `GOPATH ?= $(shell cd \${ISTIO_GO}/../../..; pwd)
export GOPATH
GO_TOP := $(shell echo \${GOPATH} | cut -d ':' -f1)
export GO_TOP
${ARCH_MK}export GOARCH ?= $(GOARCH_LOCAL)
export GOOS ?= $(GOOS_LOCAL)
export ISTIO_BIN=$(GO_TOP)/bin
export OUT_DIR=$(GO_TOP)/out
export ISTIO_OUT:=$(OUT_DIR)/$(GOOS)_$(GOARCH)/release
export ISTIO_OUT_LINUX:=$(OUT_DIR)/linux_amd64/release
`
    : `GOPATH ?= $(shell cd \${ISTIO_GO}/../../..; pwd)
export GOPATH
GO_TOP := $(shell echo \${GOPATH} | cut -d ':' -f1)
export GO_TOP
GOARCH_LOCAL := $(TARGET_ARCH)
GOOS_LOCAL := $(TARGET_OS)
export ISTIO_BIN=$(GOBIN)
export ISTIO_OUT:=$(TARGET_OUT)
export ISTIO_OUT_LINUX:=$(TARGET_OUT_LINUX)
`;
  const linuxDir = gopath ? '${OUT_DIR}/linux_amd64' : '${TARGET_OUT_LINUX}';
  const envoyVars = exportsVars
    ? `ifeq ($(PROXY_REPO_SHA),)
  export PROXY_REPO_SHA:=$(shell grep PROXY_REPO_SHA istio.deps -A 4 | grep lastStableSHA | cut -f 4 -d '"')
endif
export ISTIO_ENVOY_BASE_URL ?= ${GCS}/istio-build/proxy
${minor >= 7 ? 'export SIDECAR ?= envoy\n' : ''}export ISTIO_ENVOY_VERSION ?= \${PROXY_REPO_SHA}
export ISTIO_ENVOY_DEBUG_URL ?= $(ISTIO_ENVOY_BASE_URL)/envoy-debug-$(ISTIO_ENVOY_VERSION).tar.gz
export ISTIO_ENVOY_RELEASE_URL ?= $(ISTIO_ENVOY_BASE_URL)/envoy-alpha-$(ISTIO_ENVOY_VERSION).tar.gz
${centos ? 'export ISTIO_ENVOY_CENTOS_RELEASE_URL ?= $(ISTIO_ENVOY_BASE_URL)/envoy-centos-alpha-$(ISTIO_ENVOY_VERSION).tar.gz\n' : ''}export ISTIO_ENVOY_LINUX_VERSION ?= \${ISTIO_ENVOY_VERSION}
export ISTIO_ENVOY_LINUX_DEBUG_URL ?= \${ISTIO_ENVOY_DEBUG_URL}
export ISTIO_ENVOY_LINUX_RELEASE_URL ?= \${ISTIO_ENVOY_RELEASE_URL}
export ISTIO_ENVOY_LINUX_DEBUG_DIR ?= ${linuxDir}/debug
export ISTIO_ENVOY_LINUX_DEBUG_NAME ?= envoy-debug-\${ISTIO_ENVOY_LINUX_VERSION}
export ISTIO_ENVOY_LINUX_DEBUG_PATH ?= \${ISTIO_ENVOY_LINUX_DEBUG_DIR}/\${ISTIO_ENVOY_LINUX_DEBUG_NAME}
export ISTIO_ENVOY_LINUX_RELEASE_DIR ?= ${linuxDir}/release
export ISTIO_ENVOY_LINUX_RELEASE_NAME ?= ${minor >= 7 ? '${SIDECAR}' : 'envoy'}-\${ISTIO_ENVOY_VERSION}
export ISTIO_ENVOY_LINUX_RELEASE_PATH ?= \${ISTIO_ENVOY_LINUX_RELEASE_DIR}/\${ISTIO_ENVOY_LINUX_RELEASE_NAME}
${centos ? 'export ISTIO_ENVOY_CENTOS_LINUX_RELEASE_NAME ?= envoy-centos-${ISTIO_ENVOY_LINUX_VERSION}\nexport ISTIO_ENVOY_CENTOS_LINUX_RELEASE_PATH ?= ${ISTIO_ENVOY_LINUX_RELEASE_DIR}/${ISTIO_ENVOY_CENTOS_LINUX_RELEASE_NAME}\n' : ''}`
    : '';
  const out = gopath ? 'ISTIO_OUT' : 'TARGET_OUT';
  const passes = gopath ? 'ISTIO_OUT=$(ISTIO_OUT)' : minor >= 16 ? 'TARGET_OUT=$(TARGET_OUT) ISTIO_BIN=$(ISTIO_BIN) GOOS_LOCAL=$(GOOS_LOCAL)' : 'ISTIO_OUT=$(ISTIO_OUT) ISTIO_BIN=$(ISTIO_BIN) GOOS_LOCAL=$(GOOS_LOCAL)';
  return `# devenv test fixture: Makefile.core.mk in the shape of Istio ${label} (written for these tests)
export GO111MODULE ?= on
export GOPROXY ?= https://proxy.golang.org
ISTIO_GO := $(shell pwd)
${layout}${gopath ? 'GO_VERSION_REQUIRED:=1.10\n' : ''}${minor < 20 ? `VERSION ?= ${label}-dev\n` : ''}${envoyVars}
init: $(${out})/istio_is_init${ztunnel ? ' init-ztunnel-rs' : ''}
	@mkdir -p \${${out}}/logs

$(${out})/istio_is_init: bin/init.sh istio.deps | $(${out})
	${passes} bin/init.sh
	touch $(${out})/istio_is_init

$(${out}):
	@mkdir -p $@
${ztunnel ? '\n.PHONY: init-ztunnel-rs\ninit-ztunnel-rs:\n\tTARGET_OUT=$(TARGET_OUT) bin/build_ztunnel.sh\n' : ''}`;
}

async function write(root: string, rel: string, text: string, mode = 0o644): Promise<void> {
  const p = path.join(root, rel);
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, text, { mode });
}

const KUBECTL = (v: string, from: string) =>
  `# devenv test fixture: docker/Dockerfile.kubectl in the shape of Istio's (written for these tests)\nFROM ${from}\n\n# kubectl\nADD ${GCS}/kubernetes-release/release/${v}/bin/linux/amd64/kubectl /usr/bin/kubectl\nRUN chmod +x /usr/bin/kubectl\n`;

/**
 * Writes a tree shaped like `family` under `dir`. Lines whose outputs derive
 * from GOPATH (1.1–1.4) sit at dir/src/istio.io/istio with dir as GOPATH.
 */
export async function makeIstioTree(dir: string, family: Family, opts: TreeOptions = {}): Promise<IstioTree> {
  const minor = opts.minor ?? defaultMinor[family];
  const era = minor <= 4 ? 'gopath' : 'modern';
  const root = era === 'gopath' ? path.join(dir, 'src', 'istio.io', 'istio') : dir;
  const proxySha = opts.proxySha ?? PROXY_SHA;
  const ztunnelSha = minor >= 18 ? (opts.ztunnelSha ?? ZTUNNEL_SHA) : undefined;
  await fs.mkdir(root, { recursive: true });
  await write(root, 'istio.deps', deps(proxySha, ztunnelSha));
  const exe = 0o755;
  const goLine: Record<number, string> = { 2: '1.12', 3: '1.12', 4: '1.13', 5: '1.13', 6: '1.13', 7: '1.14', 8: '1.15', 12: '1.16', 16: '1.19', 18: '1.20', 20: '1.21', 24: '1.22.0', 99: '1.26.0' };
  if (minor === 1) {
    await write(root, 'Gopkg.toml', '# devenv test fixture (dep)\nrequired = [\n  "istio.io/istio/mixer/adapter/stackdriver/contextgraph",\n]\n');
    await write(root, 'vendor/README', 'committed dependencies (dep)\n');
  } else {
    await write(root, 'go.mod', `module istio.io/istio\n\ngo ${goLine[minor] ?? '1.22.0'}\n`);
  }
  if (minor === 2 || minor === 3) await write(root, 'vendor/modules.txt', '# committed vendor/ (GOPATH-mode build)\n');
  let helmVersion: string | undefined;
  let kubectlVersion: string | undefined;
  if (minor <= 3) {
    await write(root, 'Makefile', makefile11(minor));
    await write(root, 'bin/init.sh', minor <= 2 ? init11(minor) : init13(minor), exe);
  } else {
    await write(root, 'Makefile', makefileTop(minor));
    await write(root, 'Makefile.core.mk', makefileCore(minor));
    if (minor >= 6) {
      await write(root, 'Makefile.overrides.mk', '# devenv test fixture\nBUILD_WITH_CONTAINER ?= 1\n');
      await write(root, 'common/scripts/setup_env.sh', setupEnv(minor), exe);
    }
    await write(root, 'bin/init.sh', minor === 4 ? init13(4) : minor < 20 ? initModern(minor) : init20(minor === 99), exe);
    if (minor >= 18) await write(root, 'bin/build_ztunnel.sh', buildZtunnel(minor === 99), exe);
    if (minor >= 20) await write(root, 'VERSION', `${minor === 99 ? '1.32' : `1.${minor}`}\n`);
  }
  if (minor <= 4) {
    helmVersion = minor >= 4 ? 'v2.10.0' : 'v2.9.1';
    await write(root, 'bin/init_helm.sh', initHelm(minor), exe);
  }
  if (minor <= 5) {
    kubectlVersion = minor >= 3 ? 'v1.13.10' : 'v1.11.1';
    await write(root, 'docker/Dockerfile.kubectl', KUBECTL(kubectlVersion, minor >= 3 ? 'docker.io/istio/base:${BASE_VERSION}' : 'istionightly/base_debug'));
  }
  for (const [rel, content] of Object.entries(opts.files ?? {})) await write(root, rel, content);
  return { family, minor, root, gopath: era === 'gopath' ? dir : undefined, proxySha, ztunnelSha, helmVersion, kubectlVersion, era };
}

/** An upstream artifact of a line, as Istio's buckets publish it (for loopback servers in tests). */
export interface UpstreamArtifact {
  url: string;
  /** tarball member, or undefined for a plain file */
  member?: string;
  /** what the test puts in it (a marker string; executables get a #! line) */
  content: string;
}

/**
 * What each line's make init downloads upstream for `arch`, written out by
 * hand from the real scripts (not derived from devenv's model).
 */
export function upstreamArtifacts(tree: IstioTree, arch = 'amd64', opts: { debug?: boolean } = {}): UpstreamArtifact[] {
  const m = tree.minor;
  const sha = tree.proxySha;
  const proxyBase = m === 99 ? `${BLOB}/istio-build/proxy` : `${GCS}/istio-build/proxy`;
  const suffix = m >= 16 && arch !== 'amd64' ? `-${arch}` : '';
  const sh = (what: string) => `#!/bin/sh\necho ${what}\n`;
  const out: UpstreamArtifact[] = [];
  const debug = m <= 4 || opts.debug;
  if (debug) out.push({ url: `${proxyBase}/envoy-debug-${sha}${suffix}.tar.gz`, member: 'usr/local/bin/envoy', content: sh(`envoy debug ${arch}`) });
  out.push({ url: `${proxyBase}/envoy-alpha-${sha}${suffix}.tar.gz`, member: 'usr/local/bin/envoy', content: sh(`envoy release ${arch}`) });
  if (m >= 8 && m <= 18) out.push({ url: `${proxyBase}/envoy-centos-alpha-${sha}.tar.gz`, member: 'usr/local/bin/envoy', content: sh('envoy centos') });
  if (m >= 5 && m <= 17) {
    for (const p of ['stats', 'metadata_exchange']) {
      out.push({ url: `${proxyBase}/${p}-${sha}.wasm`, content: `wasm ${p}\n` });
      if (m >= 7) out.push({ url: `${proxyBase}/${p}-${sha}.compiled.wasm`, content: `compiled wasm ${p}\n` });
    }
  }
  if (m >= 18) out.push({ url: `${m === 99 ? BLOB : GCS}/istio-build/ztunnel/ztunnel-${tree.ztunnelSha}-${arch}`, content: sh(`ztunnel ${arch}`) });
  if (tree.helmVersion) out.push({ url: `${GCS}/kubernetes-helm/helm-${tree.helmVersion}-linux-amd64.tar.gz`, member: 'linux-amd64/helm', content: sh(`helm ${tree.helmVersion}`) });
  return out;
}

/** A .tar.gz holding `member` with `content` (mode 755), built with the system tar. */
export async function tarball(dir: string, member: string, content: string): Promise<Buffer> {
  const { execFileSync } = await import('node:child_process');
  const src = await fs.mkdtemp(path.join(dir, 'tar-'));
  await fs.mkdir(path.join(src, path.dirname(member)), { recursive: true });
  await fs.writeFile(path.join(src, member), content, { mode: 0o755 });
  const out = `${src}.tar.gz`;
  execFileSync('tar', ['-C', src, '-czf', out, member.split('/')[0]]);
  return fs.readFile(out);
}

/** Upstream URL → path on a loopback mirror (storage.googleapis.com → /gcs/, blob.istio.io → /blob/). */
export const mirrorPath = (url: string): string => url.replace(`${GCS}/`, '/gcs/').replace(`${BLOB}/`, '/blob/');

/** Serves `arts` on `routes` at their mirror paths; returns a devenv config (mirrors.urls) written under dir. */
export async function serveArtifacts(dir: string, serverUrl: string, routes: Map<string, { body: Buffer | string }>, arts: UpstreamArtifact[]): Promise<string> {
  for (const a of arts) routes.set(mirrorPath(a.url), { body: a.member ? await tarball(dir, a.member, a.content) : Buffer.from(a.content) });
  const cfg = path.join(dir, 'devenv-mirrors.json');
  await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { [`${GCS}/`]: `${serverUrl}/gcs/`, [`${BLOB}/`]: `${serverUrl}/blob/` } } }));
  return cfg;
}
