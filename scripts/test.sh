#!/usr/bin/env bash
# npm test: provision what the integration tests need, start a private Docker
# daemon and a registry on 127.0.0.1, type-check, lint, build, run every test
# with node's runner, and stop the daemons whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
ci=${CI:-}

say() { printf '[test] %s\n' "$*" >&2; }

# command → Debian package that provides it. Every tool a test calls is here.
tools=(
  "dockerd:docker.io" "docker:docker.io" "docker-registry:docker-registry"
  "go:golang-go" "ruby:ruby" "gem:ruby" "tar:tar"
  "python3:python3" "setpriv:util-linux" "unshare:util-linux"
  "tmux:tmux" "script:bsdutils" "zsh:zsh" "fish:fish" "ip:iproute2" "kubectl:kubernetes-client" "openssl:openssl" "git:git"
  "make:make" "curl:curl"
)

missing_packages() {
  local entry cmd pkg out=()
  for entry in "${tools[@]}"; do
    cmd=${entry%%:*}
    pkg=${entry#*:}
    command -v "$cmd" >/dev/null 2>&1 || out+=("$pkg")
  done
  tar --version 2>/dev/null | head -1 | grep -q 'GNU tar' || out+=(tar)
  [ -e /etc/ssl/certs/ca-certificates.crt ] || out+=(ca-certificates)
  printf '%s\n' "${out[@]}" | sort -u | grep -v '^$' || true
}

mapfile -t need < <(missing_packages)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${need[*]} (apt-get)"
    created_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      # keep the package's postinst from starting the system Docker daemon
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      created_policy=1
    fi
    apt-get update || say "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" || say "apt-get install failed"
    [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
    mapfile -t need < <(missing_packages)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    say "missing packages: ${need[*]}; as root run: apt-get update && apt-get install -y ${need[*]}"
    [ "$ci" != true ] || { say "CI=true: a missing component is a failure"; exit 1; }
  fi
fi

[ -d node_modules ] || npm ci

work=$(mktemp -d /tmp/devenv-harness.XXXXXX)
cleanup() {
  set +e
  bash scripts/harness/registry.sh stop "$work/registry" >/dev/null 2>&1
  bash scripts/harness/dockerd.sh stop "$work/dockerd" >/dev/null 2>&1
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if host=$(bash scripts/harness/dockerd.sh start "$work/dockerd"); then
  export DEVENV_TEST_DOCKER_HOST=$host
  say "dockerd up at $host"
else
  say "could not start dockerd"
  [ "$ci" != true ] || exit 1
fi
if addr=$(bash scripts/harness/registry.sh start "$work/registry"); then
  export DEVENV_TEST_REGISTRY=$addr
  say "registry up at $addr"
else
  say "could not start the registry"
  [ "$ci" != true ] || exit 1
fi
export DEVENV_TEST_HARNESS=$repo/scripts/harness

say "type-check";  npx tsc --noEmit -p tsconfig.json
say "lint";        npx eslint .
# the build users run: dist/ bundles + code cache, and the single executable
# that test/e2e/package.test.ts runs (npm run package builds first)
say "build";       npm run package --silent

mapfile -t tests < <(find test -name '*.test.ts' | sort)
if [ ${#tests[@]} -eq 0 ]; then say "no test files found"; exit 1; fi
say "running ${#tests[@]} test files"
node --import tsx --test --test-concurrency=2 --test-timeout=600000 "${tests[@]}"
