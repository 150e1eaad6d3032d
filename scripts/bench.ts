/**
 * npm run bench: devenv against the floors it is measured by (issue 14).
 *
 *   doctor --json   vs  ../shared/bench/probes.sh parallel (the same probes, concurrently, from a shell)
 *                       in a generated 1.4.2-shaped checkout (ISTIO_DIR=<it>) and outside any checkout
 *   --version       vs  node -e ''
 *   shellenv        on its own (target <= 100 ms)
 *   fix --all       vs  curl fetching its largest download alone, from the same loopback server
 *   peak RSS        of each, by /usr/bin/time -f %M
 *
 * Interleaved rounds (the order shuffled in each), median of per-round ratios.
 * Runs bin/run.js, i.e. the build users run: `npm run build` first.
 *
 *   npm run bench [-- --rounds 21] [--fix-rounds 3] [--size 200] [--no-fix | --fix-only] [--probes PATH] [--keep]
 *
 * Docker: DOCKER_HOST is used when set; otherwise, as root with dockerd
 * installed, a private daemon is started with scripts/harness/dockerd.sh (and
 * stopped); otherwise docker probes fail fast on both sides.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const ROUNDS = opt('--rounds', 21);
const FIX_ROUNDS = opt('--fix-rounds', 3);
const SIZE_MIB = opt('--size', 200);
const WITH_FIX = !args.includes('--no-fix');
const FIX_ONLY = args.includes('--fix-only'); // skip the start-up rounds
const KEEP = args.includes('--keep'); // leave the generated checkouts and artifacts (for profiling)

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

function randomFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w', 0o755);
  const chunk = 4 << 20;
  for (let left = bytes; left > 0; left -= chunk) fs.writeSync(fd, randomBytes(Math.min(chunk, left)));
  fs.closeSync(fd);
}

function tarball(work: string, name: string, member: string, bytes: number): string {
  const src = path.join(work, `src-${name}`);
  fs.mkdirSync(path.join(src, path.dirname(member)), { recursive: true });
  randomFile(path.join(src, member), bytes);
  const out = path.join(work, name);
  // gzip -1: random content does not compress; level 1 keeps generation quick
  sh('bash', ['--norc', '--noprofile', '-c', 'tar -C "$1" -cf - "$2" | gzip -1 > "$3"', 'tar', src, member.split('/')[0], out]);
  fs.rmSync(src, { recursive: true, force: true });
  return out;
}

async function serve(files: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size, 'content-type': 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(repo, 'dist', 'commands.cjs'))) {
    console.error('dist/ is missing: run `npm run build` first.');
    process.exit(2);
  }
  if (!fs.existsSync(PROBES)) {
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
    console.log(`docker: ${dockerHost ?? 'none (docker probes fail fast on both sides)'} · ${ROUNDS} interleaved rounds · median of per-round ratios\n`);

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

async function benchFix(work: string, env: NodeJS.ProcessEnv): Promise<void> {
  const mib = 1 << 20;
  const art = path.join(work, 'artifacts');
  fs.mkdirSync(art);
  console.log(`\nfix --all: generating artifacts (largest ~${SIZE_MIB} MiB) ...`);
  const debug = tarball(art, 'envoy-debug.tar.gz', 'usr/local/bin/envoy', SIZE_MIB * mib);
  const release = tarball(art, 'envoy-alpha.tar.gz', 'usr/local/bin/envoy', Math.round(SIZE_MIB * 0.4) * mib);
  const helm = tarball(art, 'helm.tar.gz', 'linux-amd64/helm', 40 * mib);
  const kubectl = path.join(art, 'kubectl');
  randomFile(kubectl, 40 * mib);
  const kubectlSha = path.join(art, 'kubectl.sha256');
  fs.writeFileSync(kubectlSha, createHash('sha256').update(fs.readFileSync(kubectl)).digest('hex') + '\n');
  const files: Record<string, string> = {
    [`/istio-build/proxy/envoy-debug-${SHA}.tar.gz`]: debug,
    [`/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`]: release,
    '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': helm,
    '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
    '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': kubectlSha,
  };
  const largest = Object.entries(files).sort((a, b) => fs.statSync(b[1]).size - fs.statSync(a[1]).size)[0];
  const server = await serve(files);
  try {
    const cfg = path.join(work, 'devenv-bench.json');
    // Everything upstream goes to the loopback server; gem installs get a source that answers 404 (no network).
    fs.writeFileSync(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/` } }, gem: { source: `${server.url}/gems/` } }));
    const fixWall: number[] = [];
    const curlWall: number[] = [];
    const ratios: number[] = [];
    const fixRss: number[] = [];
    const curlRss: number[] = [];
    const codes = new Set<number | null>();
    for (let r = 0; r < FIX_ROUNDS; r++) {
      // a fresh machine each round: new home (so no download cache), new GOPATH and checkout
      const round = path.join(work, `fix-${r}`);
      const home = path.join(round, 'home');
      const gp = path.join(round, 'go');
      const root = checkout(gp, false);
      if (KEEP) fs.cpSync(gp, `${gp}.pristine`, { recursive: true }); // to re-run a round by hand
      const e = { ...env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), XDG_DATA_HOME: path.join(home, '.local/share'), DOCKER_CONFIG: path.join(home, '.docker'), GOPATH: gp, GO111MODULE: 'on', DEVENV_CONFIG: cfg };
      fs.mkdirSync(home, { recursive: true });
      const order = shuffle(['fix', 'curl']);
      const t: Record<string, Timed> = {};
      for (const which of order) {
        t[which] =
          which === 'fix'
            ? await timed(process.execPath, [RUN, 'fix', '--all', '--yes', '--json'], { cwd: root, env: e, rss: true, stdout: path.join(work, `fix-${r}.json`) })
            : await timed('curl', ['-fsS', '-o', path.join(round, 'largest'), `${server.url}${largest[0]}`], { cwd: round, env: e, rss: true });
      }
      codes.add(t.fix.code);
      fixWall.push(t.fix.ms);
      curlWall.push(t.curl.ms);
      ratios.push(t.fix.ms / t.curl.ms);
      fixRss.push((t.fix.rssKiB ?? NaN) / 1024);
      curlRss.push((t.curl.rssKiB ?? NaN) / 1024);
      if (!KEEP) fs.rmSync(round, { recursive: true, force: true });
    }
    // what each fixer did in the last round, and how long it took
    try {
      const last = JSON.parse(fs.readFileSync(path.join(work, `fix-${FIX_ROUNDS - 1}.json`), 'utf8')) as { fixes: { id: string; action: string; durationMs?: number; after?: { durationMs?: number } }[] };
      console.log(`fix --all, last round: ${last.fixes.map((f) => `${f.id} ${f.action}${f.durationMs !== undefined ? ` ${f.durationMs} ms` : ''}`).join(', ')}`);
    } catch (err) {
      console.log(`fix --all output unreadable: ${(err as Error).message}`);
    }
    const sizes = Object.values(files).filter((f) => !f.endsWith('.sha256')).map((f) => `${path.basename(f)} ${(fs.statSync(f).size / mib).toFixed(0)} MiB`);
    console.log(`artifacts: ${sizes.join(', ')} (on 127.0.0.1)`);
    const ratio = median(ratios);
    console.log(`${'fix --all vs curl of its largest download'.padEnd(46)} ${fmt(median(fixWall)).padStart(8)} vs ${fmt(median(curlWall)).padStart(8)}   ${ratio.toFixed(2)}x  (target <=1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'}; ${FIX_ROUNDS} rounds; fix exit codes ${[...codes].join(',')})`);
    const peak = median(fixRss);
    console.log(`peak RSS: fix --all ${peak.toFixed(0)} MiB (target <= 64 MiB: ${peak <= 64 ? 'met' : 'NOT met'}), curl ${median(curlRss).toFixed(0)} MiB`);
  } finally {
    await server.close();
  }
}

await main();
