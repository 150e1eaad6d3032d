#!/usr/bin/env bash
# Starts or stops a Docker registry (Debian docker-registry) on 127.0.0.1 for tests.
#   registry.sh start DIR [PORT]  → prints 127.0.0.1:PORT once GET /v2/ answers 200
#   registry.sh stop DIR          → idempotent
set -euo pipefail
cmd=${1:-}; dir=${2:-}; port=${3:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  [ -f "$dir/registry.pid" ] || return 0
  local pid; pid=$(cat "$dir/registry.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/registry.pid"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

case "$cmd" in
  start)
    bin=$(command -v docker-registry || true)
    [ -n "$bin" ] || { echo "registry.sh: docker-registry not installed (apt-get install docker-registry)" >&2; exit 1; }
    stop
    [ -n "$port" ] || port=$(free_port)
    mkdir -p "$dir/storage"
    cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
    nohup "$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
    echo $! >"$dir/registry.pid"
    for _ in $(seq 1 200); do
      if node -e 'require("http").get(process.argv[1],r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' "http://127.0.0.1:$port/v2/" 2>/dev/null; then
        echo "$port" >"$dir/port"
        echo "127.0.0.1:$port"
        exit 0
      fi
      kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
      sleep 0.1
    done
    echo "registry.sh: registry did not answer on 127.0.0.1:$port; log tail:" >&2
    tail -n 20 "$dir/registry.log" >&2 || true
    stop
    exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
