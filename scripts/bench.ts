/**
 * npm run bench: how close `devenv doctor` comes to the floor set by running
 * the same probes concurrently from a shell, and how much devenv's start-up
 * costs over a bare `node`. Prints medians and ratios; BENCHMARKS.md records them.
 *
 *   npm run bench [-- --runs N] [-- --dir PATH]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 9;
const dirArg = args.includes('--dir') ? path.resolve(args[args.indexOf('--dir') + 1]) : undefined;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(cmd: string, argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): number {
  const t0 = process.hrtime.bigint();
  spawnSync(cmd, argv, { cwd: opts.cwd, env: opts.env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function bench(label: string, cmd: string, argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): number {
  time(cmd, argv, opts); // warm-up
  const m = median(Array.from({ length: runs }, () => time(cmd, argv, opts)));
  console.log(`${label.padEnd(44)} median ${m.toFixed(0).padStart(5)} ms  (${runs} runs)`);
  return m;
}

// The probes `devenv doctor` runs on a host outside an Istio checkout, run concurrently by sh.
const PROBES = [
  'go version',
  'tar --version',
  'docker version --format "{{json .}}"',
  'ruby --version',
];

const work = dirArg ?? fs.mkdtempSync(path.join(os.tmpdir(), 'devenv-bench-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'devenv-bench-home-'));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'c'), XDG_CACHE_HOME: path.join(home, 'k'), XDG_DATA_HOME: path.join(home, 'd'), NO_COLOR: '1', GOTOOLCHAIN: 'local' };
const scriptFile = path.join(home, 'probes.sh');
fs.writeFileSync(scriptFile, PROBES.map((p) => `${p} >/dev/null 2>&1 &`).join('\n') + '\nwait\n');

const run = path.join(repo, 'bin/run.js');
if (!fs.existsSync(path.join(repo, 'dist'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(2);
}
console.log(`devenv bench · node ${process.version} · ${os.cpus().length} cpus · dir ${work}\n`);
const doctor = bench('devenv doctor', process.execPath, [run, 'doctor'], { cwd: work, env });
const probes = bench('same probes, concurrently, from sh', 'sh', [scriptFile], { cwd: work, env });
const version = bench('devenv --version', process.execPath, [run, '--version'], { cwd: work, env });
const shellenv = bench('devenv shellenv (every shell start)', process.execPath, [run, 'shellenv'], { cwd: work, env });
const bare = bench("node -e ''", process.execPath, ['-e', ''], { cwd: work, env });
console.log('');
const r1 = doctor / probes;
const r2 = version / bare;
console.log(`doctor / concurrent probes: ${r1.toFixed(2)}x (target <= 1.5x, on top of node start-up: ${(doctor - bare).toFixed(0)} ms vs ${probes.toFixed(0)} ms)`);
console.log(`--version / bare node:      ${r2.toFixed(2)}x (${(version - bare).toFixed(0)} ms of devenv start-up)`);
console.log(`shellenv:                   ${shellenv.toFixed(0)} ms (target <= 100 ms; ${(shellenv - bare).toFixed(0)} ms on top of node start-up)`);
fs.rmSync(home, { recursive: true, force: true });
if (!dirArg) fs.rmSync(work, { recursive: true, force: true });
