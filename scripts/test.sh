#!/usr/bin/env bash
# npm test: provision what the integration tests need, start a private Docker
# daemon and a registry on 127.0.0.1, type-check, lint, build, run every test
# with node's runner, and stop the daemons whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
ci=${CI:-}

say() { printf '[test] %s\n' "$*" >&2; }

have_all() {
  command -v dockerd >/dev/null && command -v docker >/dev/null && command -v docker-registry >/dev/null &&
    command -v go >/dev/null && command -v ruby >/dev/null && command -v gem >/dev/null &&
    command -v tmux >/dev/null && command -v script >/dev/null &&
    tar --version 2>/dev/null | head -1 | grep -q 'GNU tar'
}

if ! have_all; then
  if [ "$(id -u)" = 0 ]; then
    say "installing docker.io docker-registry golang-go ruby tar tmux bsdutils (apt-get)"
    created_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      # keep the package's postinst from starting the system Docker daemon
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      created_policy=1
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io docker-registry golang-go ruby tar tmux bsdutils ca-certificates
    [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
  else
    say "missing tools; as root run: apt-get update && apt-get install -y docker.io docker-registry golang-go ruby tmux bsdutils"
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
say "build";       npm run build --silent

mapfile -t tests < <(find test -name '*.test.ts' | sort)
if [ ${#tests[@]} -eq 0 ]; then say "no test files found"; exit 1; fi
say "running ${#tests[@]} test files"
node --import tsx --test --test-concurrency=2 --test-timeout=600000 "${tests[@]}"
