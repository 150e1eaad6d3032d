/**
 * npm run bench: devenv against the floors it is measured by (issue 14).
 *
 *   doctor --json   vs  ../shared/bench/probes.sh parallel (the same probes, concurrently, from a shell)
 *                       in a generated 1.4.2-shaped checkout (ISTIO_DIR=<it>) and outside any checkout
 *   --version       vs  node -e ''
 *   shellenv        on its own (target <= 100 ms)
 *   fix --all       vs  curl fetching its largest download alone (target <= 1.5x), and vs "the shell
 *                       way" (1.4's init.sh/init_helm.sh downloads of the same artifacts from bash, every
 *                       download at once: curl | tar xz, curl -o, cp; informative), all from the same
 *                       loopback server, once per --rate: unthrottled and capped per connection
 *                       (default 0,100 MiB/s, i.e. page-cache speed and roughly a 1 Gbit/s link);
 *                       every timed run starts on fresh directories after the previous run's
 *                       outputs are removed and `sync`ed (outside the timed section); and vs
 *                       "its writes": dd writing the same bytes fix --all writes (every placed
 *                       file and its download cache), no network (informative: a floor no
 *                       implementation of the 1.4 layout can beat on this machine)
 *   peak RSS        of each, by /usr/bin/time -f %M (the largest single process of the tree)
 *
 * Interleaved rounds (the order shuffled in each), median of per-round ratios.
 * Runs bin/run.js, i.e. the build users run: `npm run build` first.
 *
 *   npm run bench [-- --rounds 21] [--fix-rounds 3] [--size 200] [--release-size MiB] [--rate 0,100] [--tls] [--binaries] [--serve-piece KiB] [--no-fix | --fix-only] [--probes PATH] [--keep]
 *
 * Docker: DOCKER_HOST is used when set; otherwise, as root with dockerd
 * installed, a private daemon is started with scripts/harness/dockerd.sh (and
 * stopped); otherwise docker probes fail fast on both sides.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const ROUNDS = opt('--rounds', 21);
const FIX_ROUNDS = opt('--fix-rounds', 3);
const SIZE_MIB = opt('--size', 200);
/** The Envoy release tarball: 40 % of --size unless given (the issue measured both at 400 MiB). */
const RELEASE_MIB = opt('--release-size', Math.round(SIZE_MIB * 0.4));
const WITH_FIX = !args.includes('--no-fix');
const FIX_ONLY = args.includes('--fix-only'); // skip the start-up rounds
const KEEP = args.includes('--keep'); // leave the generated checkouts and artifacts (for profiling)
// serve the fix rounds over HTTPS (a self-signed certificate made here, trusted through NODE_EXTRA_CA_CERTS and
// CURL_CA_BUNDLE): real mirrors and upstreams are HTTPS, and TLS hands a client 16 KiB pieces instead of 64 KiB
const TLS = args.includes('--tls');
// per-connection rate limits of the loopback server for the fix rounds, MiB/s (0 = unthrottled):
// one block of rounds per rate; by default unthrottled and ~1 Gbit/s
const RATES = (args.includes('--rate') ? String(args[args.indexOf('--rate') + 1]) : '0,100').split(',').map(Number);
// the binaries inside the tarballs made of this machine's own program files (ELF code and data, which compress
// like Envoy's and helm's) instead of random bytes (which do not compress): each tarball is still about --size MiB,
// and inflates to several times that, as real ones do
const BINARIES = args.includes('--binaries');
// what the loopback server reads and writes at a time, KiB (see serve())
const SERVE_PIECE_KIB = opt('--serve-piece', 1024);
const SERVE_PIECE = SERVE_PIECE_KIB << 10;
if (!Number.isInteger(SERVE_PIECE_KIB) || SERVE_PIECE_KIB < 1) {
  console.error(`--serve-piece takes a whole number of KiB: ${args[args.indexOf('--serve-piece') + 1]}`);
  process.exit(2);
}
if (RATES.some((r) => !Number.isFinite(r) || r < 0)) {
  console.error(`--rate takes MiB/s per connection, comma-separated (0 = unthrottled): ${args[args.indexOf('--rate') + 1]}`);
  process.exit(2);
}

// the shared probe script beside the repository (CI lays shared/ there); --probes PATH for a checkout elsewhere
const PROBES = args.includes('--probes') ? path.resolve(args[args.indexOf('--probes') + 1]) : path.resolve(repo, '../shared/bench/probes.sh');
const RUN = path.join(repo, 'bin/run.js');
const TIME = '/usr/bin/time';
const SHA = 'a7b25784cd7d8d7e4ab5c4a2ab63b5a4b3f0e1d2';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const shuffle = <T>(xs: T[]) => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
};

interface Timed {
  ms: number;
  code: number | null;
  rssKiB?: number;
}

/** Runs a command to completion (async: the loopback server lives in this process), optionally under /usr/bin/time for peak RSS. */
function timed(cmd: string, argv: string[], o: { cwd: string; env: NodeJS.ProcessEnv; rss?: boolean; stdout?: string }): Promise<Timed> {
  const rssFile = o.rss ? path.join(os.tmpdir(), `devenv-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined;
  const [c, a] = rssFile ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const out = o.stdout ? fs.openSync(o.stdout, 'w') : 'ignore';
    const child = spawn(c, a, { cwd: o.cwd, env: o.env, stdio: ['ignore', out, 'ignore'] });
    if (typeof out === 'number') fs.closeSync(out);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let rssKiB: number | undefined;
      if (rssFile) {
        rssKiB = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        fs.rmSync(rssFile, { force: true });
      }
      resolve({ ms, code, rssKiB });
    });
  });
}

function sh(cmd: string, argv: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, argv, { cwd: o.cwd, env: o.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function write(file: string, text: string | Buffer, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, mode === undefined ? undefined : { mode });
}

// ---------------------------------------------------------------------------
// A checkout shaped like Istio 1.4.2 (generated here; no Istio file is copied):
// GOPATH layout, go.mod `go 1.13`, Makefile.core.mk with VERSION/BASE_VERSION,
// istio.deps, 1.4-style bin/init.sh and bin/init_helm.sh, a kubectl Dockerfile,
// distroless FROM lines, and ~1,860 directories of Go files, committed to git.

const INIT_SH = `#!/bin/bash
set -o errexit -o nounset -o pipefail
GO_TOP=\${GO_TOP:-$(echo "\${GOPATH}" | cut -d ':' -f1)}
OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
ISTIO_BIN=\${ISTIO_BIN:-\${GOPATH}/bin}
ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
SIDECAR=envoy
ROOT=$(cd "$(dirname "$0")/.."; pwd)
function download_envoy_if_necessary () {
  if [[ ! -f "$2" ]] ; then
    mkdir -p "$(dirname "$2")"
    pushd "$(dirname "$2")"
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
mkdir -p "\${ISTIO_OUT}" "\${ISTIO_BIN}"
cp -f "\${ISTIO_ENVOY_LINUX_DEBUG_PATH}" "\${ISTIO_OUT}/envoy"
if [ ! -f "\${ISTIO_BIN}/envoy" ] ; then
  cp "\${ISTIO_ENVOY_LINUX_DEBUG_PATH}" "\${ISTIO_BIN}/envoy"
fi
`;
const INIT_HELM_SH = `#!/bin/bash
set -euo pipefail
GO_TOP=\${GOPATH%%:*}
OUT_DIR=\${OUT_DIR:-\${GO_TOP}/out}
ISTIO_OUT=\${ISTIO_OUT:-\${OUT_DIR}/linux_amd64/release}
HELM_VER=\${HELM_VER:-v2.10.0}
if [ ! -f "\${ISTIO_OUT}/version.helm.\${HELM_VER}" ]; then
  mkdir -p "$ISTIO_OUT"
  cd "$ISTIO_OUT"
  curl -fLSs "https://storage.googleapis.com/kubernetes-helm/helm-\${HELM_VER}-linux-amd64.tar.gz" | tar xz
  cp linux-amd64/helm "helm-\${HELM_VER}"
  cp linux-amd64/helm helm
  touch "version.helm.\${HELM_VER}"
fi
`;
const KUBECTL_URL = 'https://storage.googleapis.com/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl';
const MAKEFILE = [
  'GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)',
  "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)",
  'OUT_DIR := $(GO_TOP)/out',
  'ISTIO_OUT := $(OUT_DIR)/$(GOOS_LOCAL)_$(GOARCH_LOCAL)/release',
  'ISTIO_BIN := $(GO_TOP)/bin',
  'GO_VERSION_REQUIRED:=1.10',
  'VERSION ?= 1.4-dev',
  'BASE_VERSION ?= 1.4-dev.4',
  '',
  // the stamp rule 1.4 runs bin/init.sh through: with no stamp yet, make runs the script (and its copies) first
  'init: $(ISTIO_OUT)/istio_is_init',
  '',
  '$(ISTIO_OUT)/istio_is_init: bin/init.sh istio.deps | $(ISTIO_OUT)',
  '\tISTIO_OUT=$(ISTIO_OUT) bin/init.sh',
  '\ttouch $(ISTIO_OUT)/istio_is_init',
  '',
].join('\n');
const DEPS = JSON.stringify([{ _comment: '', name: 'PROXY_REPO_SHA', repoDir: 'src/proxy', repoName: 'proxy', file: '', lastStableSHA: SHA }], null, 2);

/** A 1.4.2-shaped checkout at <gopath>/src/istio.io/istio; `tree` adds the ~1,860 directories and commits. */
function checkout(gopath: string, tree: boolean): string {
  const root = path.join(gopath, 'src', 'istio.io', 'istio');
  write(path.join(root, 'go.mod'), 'module istio.io/istio\n\ngo 1.13\n\nrequire (\n)\n');
  write(path.join(root, 'Makefile.core.mk'), MAKEFILE);
  write(path.join(root, 'istio.deps'), DEPS);
  write(path.join(root, 'bin/init.sh'), INIT_SH, 0o755);
  write(path.join(root, 'bin/init_helm.sh'), INIT_HELM_SH, 0o755);
  write(path.join(root, 'docker/Dockerfile.kubectl'), `FROM docker.io/istio/base:1.4-dev.4\n\n# kubectl\nADD ${KUBECTL_URL} /usr/bin/kubectl\nRUN chmod +x /usr/bin/kubectl\n`);
  if (!tree) return root;
  const tops = ['pilot', 'mixer', 'security', 'galley', 'pkg', 'tests', 'tools', 'install', 'samples', 'operator', 'istioctl', 'prow', 'manifests', 'bin', 'docker', 'policy'];
  let dirs = 0;
  for (const top of tops) {
    for (let a = 0; a < 8 && dirs < 1860; a++) {
      for (let b = 0; b < 15 && dirs < 1860; b++, dirs++) {
        const d = path.join(root, top, `pkg${a}`, `sub${b}`);
        write(path.join(d, 'x.go'), `package sub${b}\n\n// Generated for the bench.\nfunc F() int { return ${dirs} }\n`);
        if (b === 0 && a < 3) {
          const base = a === 0 ? 'gcr.io/distroless/static:latest' : a === 1 ? 'gcr.io/distroless/cc:latest' : 'docker.io/istio/base:${BASE_VERSION}';
          write(path.join(d, 'docker', 'Dockerfile'), `ARG BASE_VERSION=latest\nFROM ${base}\nCOPY app /usr/local/bin/app\nENTRYPOINT ["/usr/local/bin/app"]\n`);
        }
      }
    }
  }
  const git = (...a: string[]) => sh('git', ['-C', root, '-c', 'user.name=bench', '-c', 'user.email=bench@invalid', ...a]);
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench fixture');
  return root;
}

// ---------------------------------------------------------------------------
// The artifacts `fix --all` prefetches, generated at bench size and served on 127.0.0.1.

function randomFile(file: string, bytes: number, head = ''): void {
  const fd = fs.openSync(file, 'w', 0o755);
  if (head) {
    fs.writeSync(fd, head);
    bytes -= Buffer.byteLength(head);
  }
  const chunk = 4 << 20;
  for (let left = bytes; left > 0; left -= chunk) fs.writeSync(fd, randomBytes(Math.min(chunk, left)));
  fs.closeSync(fd);
}

/** This machine's program files (ELF, 1 MiB or more), in a fixed order: the content for --binaries. */
function programFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile() && fs.statSync(p).size >= MIB) {
        const head = Buffer.alloc(4);
        const fd = fs.openSync(p, 'r');
        fs.readSync(fd, head, 0, 4, 0);
        fs.closeSync(fd);
        if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) found.push(p);
      }
    }
  };
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/libexec']) walk(dir);
  if (found.length === 0) throw new Error('--binaries: no program files of 1 MiB or more under /usr');
  return found;
}

/** `bytes` of the program files one after another (from the start again when they run out). */
function binaryFile(file: string, bytes: number, corpus: string[]): void {
  const out = fs.openSync(file, 'w', 0o755);
  const buf = Buffer.allocUnsafe(4 << 20);
  let left = bytes;
  for (let i = 0; left > 0; i = (i + 1) % corpus.length) {
    const fd = fs.openSync(corpus[i], 'r');
    for (let n; left > 0 && (n = fs.readSync(fd, buf, 0, Math.min(buf.length, left), null)) > 0; left -= n) fs.writeSync(out, buf, 0, n);
    fs.closeSync(fd);
  }
  fs.closeSync(out);
}

/** How many times its gzip -1 size the program files are (measured on their first 64 MiB). */
function binaryRatio(corpus: string[], work: string): number {
  const sample = path.join(work, 'ratio-sample');
  binaryFile(sample, 64 * MIB, corpus);
  const gz = spawnSync('gzip', ['-1', '-c', sample], { maxBuffer: 128 * MIB });
  fs.rmSync(sample);
  if (gz.status !== 0) throw new Error(`gzip -1 failed: ${gz.stderr}`);
  return (64 * MIB) / gz.stdout.length;
}

/** A .tar.gz of one member: random bytes, or with --binaries program files `ratio` times `bytes` long (so the tarball is ~`bytes`). */
function tarball(work: string, name: string, member: string, bytes: number, binaries?: { corpus: string[]; ratio: number }): { file: string; memberBytes: number } {
  const src = path.join(work, `src-${name}`);
  fs.mkdirSync(path.join(src, path.dirname(member)), { recursive: true });
  const memberBytes = binaries ? Math.round(bytes * binaries.ratio) : bytes;
  if (binaries) binaryFile(path.join(src, member), memberBytes, binaries.corpus);
  else randomFile(path.join(src, member), bytes);
  const out = path.join(work, name);
  // gzip -1: level 1 keeps generation quick (random content does not compress at any level; --binaries' ratio is measured at this level)
  sh('bash', ['--norc', '--noprofile', '-c', 'tar -C "$1" -cf - "$2" | gzip -1 > "$3"', 'tar', src, member.split('/')[0], out]);
  fs.rmSync(src, { recursive: true, force: true });
  return { file: out, memberBytes };
}

/**
 * Serves `files` on 127.0.0.1. `rateMiB` > 0 caps every response at that many MiB/s on its own
 * (a token bucket per connection, refilled continuously, burst = one read of SERVE_PIECE): what a
 * network-like link looks like to each client; 0 = as fast as the page cache and loopback go.
 *
 * The server runs on the machine it measures, and a real mirror does not: every ms of CPU it
 * spends is taken from whoever is downloading once both cores are busy (fix --all's two Envoy
 * downloads; not curl's one). It reads and writes 1 MiB at a time: in 64 KiB steps (before
 * session 8, `--serve-piece 64`) it used 0.85-0.95 s of CPU per fix --all serving two 400 MiB
 * files at 222 MiB/s, in 1 MiB steps 0.43-0.63 s, most of it the kernel's copies. A client still reads its socket in
 * pieces of its own size (64 KiB; 16 KiB over TLS). Each block prints what the server used.
 */
async function serve(files: Record<string, string>, rateMiB: number, tls?: { key: Buffer; cert: Buffer }): Promise<{ url: string; close(): Promise<void> }> {
  const bytesPerMs = (rateMiB * (1 << 20)) / 1000;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const file = files[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size, 'content-type': 'application/octet-stream' });
    const stream = fs.createReadStream(file, { highWaterMark: SERVE_PIECE });
    if (!rateMiB) {
      stream.pipe(res);
      return;
    }
    void (async () => {
      const t0 = performance.now();
      let sent = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          // wait until the bucket holds this chunk's bytes: sent + chunk <= rate x elapsed
          const due = (sent + chunk.length) / bytesPerMs - (performance.now() - t0);
          if (due > 0) await sleep(due);
          sent += chunk.length;
          if (!res.write(chunk)) await once(res, 'drain');
        }
        res.end();
      } catch {
        res.destroy();
      }
    })();
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** A self-signed certificate for 127.0.0.1 (openssl), for --tls. */
function selfSigned(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const key = path.join(dir, 'tls-key.pem');
  const certFile = path.join(dir, 'tls-cert.pem');
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { key: fs.readFileSync(key), cert: fs.readFileSync(certFile), certFile };
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(repo, 'dist', 'commands.cjs'))) {
    console.error('dist/ is missing: run `npm run build` first.');
    process.exit(2);
  }
  if (!FIX_ONLY && !fs.existsSync(PROBES)) {
    console.error(`the shared probe script is missing: ${PROBES}`);
    process.exit(2);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'devenv-bench-'));
  const cleanups: (() => void | Promise<void>)[] = [KEEP ? () => console.log(`kept ${work}`) : () => fs.rmSync(work, { recursive: true, force: true })];
  try {
    let dockerHost = process.env.DOCKER_HOST;
    if (!dockerHost && process.getuid?.() === 0 && spawnSync('bash', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status === 0) {
      const dir = path.join(work, 'dockerd');
      const r = spawnSync('bash', [path.join(repo, 'scripts/harness/dockerd.sh'), 'start', dir], { encoding: 'utf8' });
      if (r.status === 0) {
        dockerHost = r.stdout.trim();
        cleanups.unshift(() => void spawnSync('bash', [path.join(repo, 'scripts/harness/dockerd.sh'), 'stop', dir], { stdio: 'ignore' }));
      }
    }
    const home = path.join(work, 'home');
    fs.mkdirSync(home);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_DATA_HOME: path.join(home, '.local/share'),
      DOCKER_CONFIG: path.join(home, '.docker'),
      DOCKER_HOST: dockerHost ?? `unix://${path.join(work, 'no-docker.sock')}`,
      NO_COLOR: '1',
      LANG: 'C.UTF-8',
      GOTOOLCHAIN: 'local',
    };
    const gopath = path.join(work, 'go');
    const root = checkout(gopath, true);
    const outside = path.join(work, 'outside');
    fs.mkdirSync(outside);
    const inEnv = { ...env, GOPATH: gopath, ISTIO_DIR: root };
    const outEnv = { ...env };

    console.log(`devenv bench · node ${process.version} · ${os.cpus().length} cpus · ${os.cpus()[0]?.model ?? ''}`);
    const rounds = FIX_ONLY ? `${FIX_ROUNDS} fix rounds` : `${ROUNDS} interleaved rounds${WITH_FIX ? `, ${FIX_ROUNDS} fix rounds` : ''}`;
    console.log(`docker: ${dockerHost ?? 'none (docker probes fail fast on both sides)'} · ${rounds} · median of per-round ratios · load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

    type Name = 'doctorIn' | 'probesIn' | 'doctorOut' | 'probesOut' | 'version' | 'bare' | 'shellenv' | 'seaVersion' | 'seaDoctorIn';
    // the single executable too, when `npm run package` has made it
    const sea = path.join(repo, 'dist', `devenv-${process.platform}-${process.arch}`);
    const hasSea = fs.existsSync(sea);
    const runs: Partial<Record<Name, () => Promise<Timed>>> = {
      doctorIn: () => timed(process.execPath, [RUN, 'doctor', '--json'], { cwd: root, env: inEnv }),
      probesIn: () => timed('bash', [PROBES, 'parallel'], { cwd: root, env: inEnv }),
      doctorOut: () => timed(process.execPath, [RUN, 'doctor', '--json'], { cwd: outside, env: outEnv }),
      probesOut: () => timed('bash', [PROBES, 'parallel'], { cwd: outside, env: outEnv }),
      version: () => timed(process.execPath, [RUN, '--version'], { cwd: outside, env: outEnv }),
      bare: () => timed(process.execPath, ['-e', ''], { cwd: outside, env: outEnv }),
      shellenv: () => timed(process.execPath, [RUN, 'shellenv'], { cwd: root, env: inEnv }),
      ...(hasSea
        ? {
            seaVersion: () => timed(sea, ['--version'], { cwd: outside, env: outEnv }),
            seaDoctorIn: () => timed(sea, ['doctor', '--json'], { cwd: root, env: inEnv }),
          }
        : {}),
    };
    if (FIX_ONLY) {
      await benchFix(work, env);
      return;
    }
    const names = Object.keys(runs) as Name[];
    for (const n of names) await runs[n]!(); // warm-up (page cache, docker)
    const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
    const ratios = { in: [] as number[], out: [] as number[], version: [] as number[], seaIn: [] as number[], seaVersion: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      const t = {} as Record<Name, number>;
      for (const n of shuffle([...names])) t[n] = (await runs[n]!()).ms;
      for (const n of names) times[n].push(t[n]);
      ratios.in.push(t.doctorIn / t.probesIn);
      ratios.out.push(t.doctorOut / t.probesOut);
      ratios.version.push(t.version / t.bare);
      if (hasSea) {
        ratios.seaIn.push(t.seaDoctorIn / t.probesIn);
        ratios.seaVersion.push(t.seaVersion / t.bare);
      }
    }
    const rssOf = async (cmd: string, argv: string[], o: { cwd: string; env: NodeJS.ProcessEnv }) => {
      const xs: number[] = [];
      for (let i = 0; i < 3; i++) xs.push((await timed(cmd, argv, { ...o, rss: true })).rssKiB ?? NaN);
      return median(xs) / 1024;
    };
    const rssDoctor = await rssOf(process.execPath, [RUN, 'doctor', '--json'], { cwd: root, env: inEnv });
    const rssVersion = await rssOf(process.execPath, [RUN, '--version'], { cwd: outside, env: outEnv });
    const rssBare = await rssOf(process.execPath, ['-e', ''], { cwd: outside, env: outEnv });

    const line = (label: string, a: number, b: number, ratio: number, target: string) =>
      console.log(`${label.padEnd(46)} ${fmt(a).padStart(8)} vs ${fmt(b).padStart(8)}   ${ratio.toFixed(2)}x  (target ${target}: ${target.startsWith('<=') && ratio <= Number(target.slice(2).replace('x', '')) ? 'met' : 'NOT met'})`);
    line('doctor --json vs probes.sh parallel, 1.4.2-shaped', median(times.doctorIn), median(times.probesIn), median(ratios.in), '<=1.3x');
    line('doctor --json vs probes.sh parallel, outside', median(times.doctorOut), median(times.probesOut), median(ratios.out), '<=1.0x');
    line("--version vs node -e ''", median(times.version), median(times.bare), median(ratios.version), '<=1.5x');
    if (hasSea) {
      line('single executable: doctor --json vs probes, 1.4.2', median(times.seaDoctorIn), median(times.probesIn), median(ratios.seaIn), '<=1.3x');
      line("single executable: --version vs node -e ''", median(times.seaVersion), median(times.bare), median(ratios.seaVersion), '<=1.5x');
    }
    const se = median(times.shellenv);
    console.log(`${'shellenv (1.4.2-shaped checkout)'.padEnd(46)} ${fmt(se).padStart(8)}   (target <= 100 ms: ${se <= 100 ? 'met' : 'NOT met'})`);
    console.log(`peak RSS: doctor ${rssDoctor.toFixed(0)} MiB, --version ${rssVersion.toFixed(0)} MiB, node -e '' ${rssBare.toFixed(0)} MiB`);

    if (WITH_FIX) await benchFix(work, env);
  } finally {
    for (const c of cleanups) await c();
  }
}

/**
 * "The shell way": what 1.4's bin/init.sh and bin/init_helm.sh download, from bash, with the
 * concurrency devenv has (every download started at once): `curl | tar xz` of the member of each
 * Envoy/helm tarball with the `envoy` copy init.sh makes beside the debug one, a plain `curl -o` of
 * kubectl to where the 1.4 build ADDs it, and init_helm.sh's copies. The same files and byte counts
 * as `fix --all` writes (checked in the first round of each block); init.sh's
 * `cp usr/local/bin/envoy "$2"; rm -rf usr` is a `mv` here (a rename), so the floor writes no byte
 * devenv does not. No checksum, no cache. Neither writes the copies init.sh makes on every run
 * ($ISTIO_OUT/envoy, $ISTIO_BIN/envoy), nor the release's `envoy` beside it, which is $ISTIO_OUT/envoy
 * on 1.4: in a tree with no init stamp, make runs init.sh before it builds, and its copies write
 * them then, whoever downloaded.
 */
const SHELL_WAY = `set -o errexit -o nounset -o pipefail
base=$1 go=$2 sha=$3
dbg=$go/out/linux_amd64/debug rel=$go/out/linux_amd64/release bin=$go/bin
mkdir -p "$dbg/.x" "$rel/.x" "$rel/.h" "$rel/docker_build/docker.kubectl" "$bin"
envoy() {
  curl -fsSL "$1" | tar xz -C "$2/.x" usr/local/bin/envoy
  mv "$2/.x/usr/local/bin/envoy" "$2/$3"
  if [ "$4" = beside ]; then cp -f "$2/$3" "$2/envoy"; fi
}
envoy "$base/istio-build/proxy/envoy-debug-$sha.tar.gz" "$dbg" "envoy-debug-$sha" beside & debug=$!
envoy "$base/istio-build/proxy/envoy-alpha-$sha.tar.gz" "$rel" "envoy-$sha" none & release=$!
{
  curl -fsSL "$base/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz" | tar xz -C "$rel/.h" linux-amd64/helm
  mv "$rel/.h/linux-amd64/helm" "$rel/helm-v2.10.0"
  cp "$rel/helm-v2.10.0" "$rel/helm"
  touch "$rel/version.helm.v2.10.0"
} & helm=$!
curl -fsSL -o "$rel/docker_build/docker.kubectl/kubectl" "$base/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl" & kubectl=$!
wait "$debug"; wait "$release"; wait "$helm"; wait "$kubectl"
`;

/**
 * Its writes: what fix --all writes, as files of those sizes (MiB), by dd in 32 KiB blocks (as devenv's writer
 * thread writes), one after another, into a fresh directory: no network, no inflating, no hashing.
 */
const WRITES = `set -o errexit -o nounset
dir=$1; shift
for spec in "$@"; do
  dd if=/dev/zero of="$dir/\${spec%%:*}" bs=32k count=$(( \${spec##*:} * 32 )) status=none
done
`;

/** Files (relative path -> bytes) under <gopath>/out and <gopath>/bin: what a contender placed for make. */
function placed(gopath: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) out.set(path.relative(gopath, p), fs.statSync(p).size);
    }
  };
  walk(path.join(gopath, 'out'));
  walk(path.join(gopath, 'bin'));
  return out;
}

function du(dir: string): number {
  let n = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    n += d.isDirectory() ? du(p) : d.isFile() ? fs.statSync(p).size : 0;
  }
  return n;
}

const MIB = 1 << 20;

async function benchFix(work: string, env: NodeJS.ProcessEnv): Promise<void> {
  const art = path.join(work, 'artifacts');
  fs.mkdirSync(art);
  console.log(`\nfix --all: generating artifacts (largest ~${SIZE_MIB} MiB) ...`);
  let binaries: { corpus: string[]; ratio: number } | undefined;
  if (BINARIES) {
    const corpus = programFiles();
    binaries = { corpus, ratio: binaryRatio(corpus, art) };
    console.log(`binaries: ${corpus.length} program files of this machine, ${binaries.ratio.toFixed(2)}x their gzip -1 size`);
  }
  const { file: debug, memberBytes: debugBytes } = tarball(art, 'envoy-debug.tar.gz', 'usr/local/bin/envoy', SIZE_MIB * MIB, binaries);
  const { file: release, memberBytes: releaseBytes } = tarball(art, 'envoy-alpha.tar.gz', 'usr/local/bin/envoy', RELEASE_MIB * MIB, binaries);
  const { file: helm, memberBytes: helmBytes } = tarball(art, 'helm.tar.gz', 'linux-amd64/helm', 40 * MIB, binaries);
  const kubectl = path.join(art, 'kubectl');
  // a program, as devenv requires before it runs one: a script that exits before its random padding
  randomFile(kubectl, 40 * MIB, "#!/bin/sh\necho 'Client Version: v1.13.10'\nexit 0\n");
  const kubectlSha = path.join(art, 'kubectl.sha256');
  fs.writeFileSync(kubectlSha, createHash('sha256').update(fs.readFileSync(kubectl)).digest('hex') + '\n');
  const files: Record<string, string> = {
    [`/istio-build/proxy/envoy-debug-${SHA}.tar.gz`]: debug,
    [`/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`]: release,
    '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': helm,
    '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
    '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': kubectlSha,
  };
  const sizes = Object.values(files).filter((f) => !f.endsWith('.sha256')).map((f) => `${path.basename(f)} ${(fs.statSync(f).size / MIB).toFixed(0)} MiB`);
  console.log(`artifacts: ${sizes.join(', ')} (served on 127.0.0.1 from the page cache)${binaries ? `; the binaries inside: envoy debug ${(debugBytes / MIB).toFixed(0)} MiB, release ${(releaseBytes / MIB).toFixed(0)} MiB, helm ${(helmBytes / MIB).toFixed(0)} MiB` : ''}`);
  console.log('every timed run starts from fresh directories, after the previous run\'s outputs are removed and `sync`');
  // What fix --all writes on 1.4's layout with no init stamp: the debug binary twice (the versioned file and the `envoy`
  // beside it), the release binary once (its `envoy` beside is $ISTIO_OUT/envoy, which make's run of init.sh overwrites
  // with the debug build), helm twice, kubectl once, and every download into its cache; checked against what the first
  // fix round wrote. (The copies init.sh makes on every run are make's.)
  const mib = (f: string) => Math.round(fs.statSync(f).size / MIB);
  const writes = [
    ...[1, 2].map((i) => `debug-${i}:${Math.round(debugBytes / MIB)}`),
    `release:${Math.round(releaseBytes / MIB)}`,
    ...[1, 2].map((i) => `helm-${i}:${Math.round(helmBytes / MIB)}`),
    'kubectl:40',
    ...[debug, release, helm, kubectl].map((f) => `cache-${path.basename(f)}:${mib(f)}`),
  ];
  for (const rate of RATES) await fixBlock(work, env, files, rate, writes);
}

type Contender = 'fix' | 'curl' | 'shell' | 'writes';

/** One block of interleaved rounds (fix --all, curl of the largest download, the shell way, its writes) against a server capped at `rate` MiB/s per connection. */
async function fixBlock(work: string, env: NodeJS.ProcessEnv, files: Record<string, string>, rate: number, writes: string[]): Promise<void> {
  const largest = Object.entries(files).sort((a, b) => fs.statSync(b[1]).size - fs.statSync(a[1]).size)[0];
  const tag = rate ? `${rate}mibs` : 'unthrottled';
  const tls = TLS ? selfSigned(work) : undefined;
  const server = await serve(files, rate, tls);
  console.log(`\n== fix --all, ${rate ? `${rate} MiB/s per connection (loopback server's token bucket)` : 'unthrottled (loopback, page cache)'}${tls ? ', over HTTPS' : ''} ==`);
  const cfg = path.join(work, `devenv-bench-${tag}.json`);
  // Everything upstream goes to the loopback server; gem installs get a source that answers 404 (no network).
  fs.writeFileSync(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/` } }, gem: { source: `${server.url}/gems/` } }));
  const t: Record<Contender, Timed[]> = { fix: [], curl: [], shell: [], writes: [] };
  const serverMs: Record<Contender, number[]> = { fix: [], curl: [], shell: [], writes: [] };
  const outputs: Partial<Record<Contender, Map<string, number>>> = {};
  let cacheBytes = 0;
  let previous: string | undefined;
  const clear = () => {
    if (previous && !KEEP) fs.rmSync(previous, { recursive: true, force: true });
    previous = undefined;
  };
  try {
    for (let r = 0; r < FIX_ROUNDS; r++) {
      for (const which of shuffle<Contender>(['fix', 'curl', 'shell', 'writes'])) {
        // the same starting state for every timed run: the previous run's ~1-2 GB gone, and synced
        // (on ext4 with `discard`, a big delete slows the next writes until it is committed)
        clear();
        const dir = path.join(work, `fix-${tag}-${r}-${which}`);
        const home = path.join(dir, 'home');
        const gp = path.join(dir, 'go');
        // a fresh machine each time: new home (so no download cache), new GOPATH
        const e = { ...env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), XDG_DATA_HOME: path.join(home, '.local/share'), DOCKER_CONFIG: path.join(home, '.docker'), GOPATH: gp, GO111MODULE: 'on', DEVENV_CONFIG: cfg, ...(tls ? { NODE_EXTRA_CA_CERTS: tls.certFile, CURL_CA_BUNDLE: tls.certFile } : {}) };
        fs.mkdirSync(home, { recursive: true });
        let run: () => Promise<Timed>;
        if (which === 'fix') {
          const root = checkout(gp, false);
          if (KEEP) fs.cpSync(gp, `${gp}.pristine`, { recursive: true }); // to re-run a round by hand
          run = () => timed(process.execPath, [RUN, 'fix', '--all', '--yes', '--json'], { cwd: root, env: e, rss: true, stdout: path.join(work, `fix-${tag}-${r}.json`) });
        } else if (which === 'curl') {
          run = () => timed('curl', ['-fsS', '-o', path.join(dir, 'largest'), `${server.url}${largest[0]}`], { cwd: dir, env: e, rss: true });
        } else if (which === 'writes') {
          run = () => timed('bash', ['--norc', '--noprofile', '-c', WRITES, 'writes', dir, ...writes], { cwd: dir, env: e });
        } else {
          run = () => timed('bash', ['--norc', '--noprofile', '-c', SHELL_WAY, 'shell-way', server.url, gp, SHA], { cwd: dir, env: e, rss: true });
        }
        sh('sync', []);
        const cpu0 = process.cpuUsage(); // this process is the server: idle but for serving while a run goes
        t[which].push(await run());
        const cpu = process.cpuUsage(cpu0);
        serverMs[which].push((cpu.user + cpu.system) / 1000);
        previous = dir;
        if (r === 0 && (which === 'fix' || which === 'shell')) {
          outputs[which] = placed(gp);
          if (which === 'fix') cacheBytes = du(path.join(home, '.cache'));
        }
      }
    }
  } finally {
    clear();
    await server.close();
  }
  // what each fixer did in the last round, and how long it took
  try {
    const last = JSON.parse(fs.readFileSync(path.join(work, `fix-${tag}-${FIX_ROUNDS - 1}.json`), 'utf8')) as { fixes: { id: string; action: string; durationMs?: number }[] };
    console.log(`fix --all, last round: ${last.fixes.map((f) => `${f.id} ${f.action}${f.durationMs !== undefined ? ` ${f.durationMs} ms` : ''}`).join(', ')}`);
  } catch (err) {
    console.log(`fix --all output unreadable: ${(err as Error).message}`);
  }
  // does the shell way place what fix --all places?
  const a = outputs.fix ?? new Map<string, number>();
  const b = outputs.shell ?? new Map<string, number>();
  const diff = [...new Set([...a.keys(), ...b.keys()])].sort().filter((k) => a.get(k) !== b.get(k));
  const total = [...a.values()].reduce((x, y) => x + y, 0) / MIB;
  console.log(
    diff.length
      ? `placed files differ (fix --all vs the shell way): ${diff.map((k) => `${k} ${a.get(k) ?? '-'}/${b.get(k) ?? '-'}`).join(', ')}`
      : `placed: fix --all and the shell way write the same ${a.size} files under GOPATH/out and GOPATH/bin, ${total.toFixed(0)} MiB; fix --all also fills its download cache: ${(cacheBytes / MIB).toFixed(0)} MiB`,
  );
  const writesMiB = writes.reduce((n, w) => n + Number(w.split(':')[1]), 0);
  const measuredMiB = total + cacheBytes / MIB;
  if (Math.abs(writesMiB - measuredMiB) > 0.02 * measuredMiB) console.log(`WARNING: "its writes" writes ${writesMiB} MiB, fix --all wrote ${measuredMiB.toFixed(0)} MiB`);
  const ms = (w: Contender) => median(t[w].map((x) => x.ms));
  const ratio = (x: Contender, y: Contender) => median(t[x].map((v, i) => v.ms / t[y][i].ms));
  const rss = (w: Contender) => median(t[w].map((x) => (x.rssKiB ?? NaN) / 1024));
  const codes = (w: Contender) => [...new Set(t[w].map((x) => x.code))].join(',');
  const row = (label: string, x: Contender, y: Contender, tail: string) =>
    console.log(`${label.padEnd(50)} ${fmt(ms(x)).padStart(8)} vs ${fmt(ms(y)).padStart(8)}   ${ratio(x, y).toFixed(2)}x  (${tail})`);
  console.log(`per round (ms, fix/curl/shell/its writes): ${t.fix.map((x, i) => `${x.ms.toFixed(0)}/${t.curl[i].ms.toFixed(0)}/${t.shell[i].ms.toFixed(0)}/${t.writes[i].ms.toFixed(0)}`).join(', ')}`);
  const target = ratio('fix', 'curl');
  row('fix --all vs curl of its largest download', 'fix', 'curl', `target <=1.5x: ${target <= 1.5 ? 'met' : 'NOT met'}; ${FIX_ROUNDS} rounds; fix exit codes ${codes('fix')}`);
  row('fix --all vs the shell way (init.sh, concurrent)', 'fix', 'shell', 'informative, no target');
  row('the shell way vs curl of its largest download', 'shell', 'curl', 'informative');
  row('its writes (dd) vs curl of its largest download', 'writes', 'curl', `informative: ${writesMiB} MiB, the 1.4 layout and the cache, written here with no network`);
  row('fix --all vs its writes', 'fix', 'writes', 'informative');
  if (codes('curl') !== '0' || codes('shell') !== '0' || codes('writes') !== '0') console.log(`WARNING: a floor failed: curl exit codes ${codes('curl')}, the shell way exit codes ${codes('shell')}, its writes exit codes ${codes('writes')}`);
  console.log(
    `the loopback server's CPU per run (median, ${SERVE_PIECE_KIB} KiB pieces; on the same cores, which a real mirror is not): fix --all ${fmt(median(serverMs.fix))}, curl ${fmt(median(serverMs.curl))}, the shell way ${fmt(median(serverMs.shell))}`,
  );
  const peak = rss('fix');
  console.log(`peak RSS: fix --all ${peak.toFixed(0)} MiB (target <= 64 MiB: ${peak <= 64 ? 'met' : 'NOT met'}), the shell way ${rss('shell').toFixed(0)} MiB, curl ${rss('curl').toFixed(0)} MiB`);
}

await main();
