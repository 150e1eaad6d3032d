#!/usr/bin/env bash
# Starts or stops a private Docker daemon for tests: its own socket, data root,
# exec root and managed containerd under DIR. Never touches /var/run/docker.sock.
#   dockerd.sh start DIR   → DIR/docker.sock answers, or exit 1 with the log tail
#   dockerd.sh stop DIR    → idempotent
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/docker.sock"
pidfile="$dir/docker.pid"
client=$(command -v docker || true)

stop() {
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # the daemon's managed containerd (and its shims) run under its exec root
  pkill -KILL -f -- "$dir/exec" 2>/dev/null || true
  if [ -L "$dir/exec-link" ]; then
    pkill -KILL -f -- "$(readlink "$dir/exec-link")" 2>/dev/null || true
    rm -rf "$(readlink "$dir/exec-link")" "$dir/exec-link"
  fi
  rm -f "$pidfile" "$sock"
}

case "$cmd" in
  start)
    if [ "$(id -u)" != 0 ]; then echo "dockerd.sh: must run as root" >&2; exit 1; fi
    command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd not installed (apt-get install docker.io)" >&2; exit 1; }
    [ -n "$client" ] || { echo "dockerd.sh: docker CLI not installed" >&2; exit 1; }
    stop
    # Short exec-root: containerd's socket path must stay under the unix socket length limit.
    exec_root="$dir/exec"
    if [ ${#exec_root} -gt 60 ]; then
      exec_root=$(mktemp -d /tmp/dx.XXXXXX)
      ln -sfn "$exec_root" "$dir/exec-link"
    fi
    mkdir -p "$dir/data" "$exec_root"
    nohup dockerd \
      --host "unix://$sock" \
      --data-root "$dir/data" \
      --exec-root "$exec_root" \
      --pidfile "$pidfile" \
      --iptables=false --ip-masq=false --bridge=none \
      --storage-driver=vfs \
      --log-level=warn \
      >"$dir/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 1 600); do
      if DOCKER_CONFIG="$dir/client" "$client" -H "unix://$sock" version >/dev/null 2>&1; then
        echo "unix://$sock"
        exit 0
      fi
      if ! kill -0 $! 2>/dev/null; then break; fi
      sleep 0.1
    done
    echo "dockerd.sh: daemon did not come up at unix://$sock; log tail:" >&2
    tail -n 30 "$dir/dockerd.log" >&2 || true
    stop
    exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
