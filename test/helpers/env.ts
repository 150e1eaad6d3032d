/** Test helpers: temp homes, an Istio-shaped fixture tree, the CLI as a child process, fake exec tables. */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, type Context, type ContextOptions } from '../../src/engine/context.js';
import type { IstioFacts } from '../../src/istio/facts.js';
import { istioProject } from '../../src/istio/project.js';
import type { Exec, ExecResult } from '../../src/platform/exec.js';
import { formatCommand } from '../../src/platform/exec.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binRun = path.join(repoRoot, 'bin/run.js');

export async function tempDir(prefix = 'devenv-test-'): Promise<string> {
  return fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
}

export async function rmrf(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
}

/**
 * An environment with HOME, XDG_* and DOCKER_CONFIG in a fresh temp dir, so no
 * test touches the user's home; PATH is kept. process.env is never mutated.
 */
export async function tempEnv(extra: Record<string, string | undefined> = {}): Promise<{ dir: string; env: Record<string, string | undefined>; cleanup: () => Promise<void> }> {
  const dir = await tempDir('devenv-home-');
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: path.join(dir, 'home'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    DOCKER_CONFIG: path.join(dir, 'docker-config'),
    TMPDIR: os.tmpdir(),
    NO_COLOR: '1',
    LANG: 'C.UTF-8',
    ...extra,
  };
  for (const k of ['HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'DOCKER_CONFIG'] as const) {
    await fs.mkdir(env[k]!, { recursive: true });
  }
  return { dir, env, cleanup: () => rmrf(dir) };
}

export interface IstioFixtureOptions {
  /** go.mod `go` directive; null for none. Default 1.13. */
  go?: string | null;
  /** GO_VERSION_REQUIRED in Makefile.core.mk; null for none. Default 1.10. */
  goVersionRequired?: string | null;
  version?: string;
  files?: Record<string, string>;
}

/**
 * A minimal Istio-shaped temp dir: go.mod and a Makefile.core.mk with VERSION and
 * GO_VERSION_REQUIRED, plus any `files`. For a tree in the shape of a given release
 * line (Makefiles, istio.deps, init scripts that `make init` really runs), use
 * makeIstioTree in test/helpers/fixtures.ts.
 */
export async function istioFixture(root: string, opts: IstioFixtureOptions = {}): Promise<string> {
  await fs.mkdir(root, { recursive: true });
  const go = opts.go === undefined ? '1.13' : opts.go;
  await fs.writeFile(path.join(root, 'go.mod'), `module istio.io/istio\n\n${go ? `go ${go}\n` : ''}\nrequire (\n)\n`);
  const gvr = opts.goVersionRequired === undefined ? '1.10' : opts.goVersionRequired;
  await fs.writeFile(
    path.join(root, 'Makefile.core.mk'),
    `# fixture\nVERSION ?= ${opts.version ?? '1.4-dev'}\n${gvr ? `GO_VERSION_REQUIRED:=${gvr}\n` : ''}`,
  );
  for (const [rel, content] of Object.entries(opts.files ?? {})) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
  }
  return root;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

interface RunOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  input?: string;
}

/** Runs `[...prefix, node, bin/run.js, ...args]`, collecting output, killed at the timeout. */
function spawnCli(prefix: string[], args: string[], opts: RunOptions): Promise<CliResult> {
  const started = Date.now();
  const argv = [...prefix, process.execPath, binRun, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd ?? (prefix.length ? '/' : os.tmpdir()),
      env: Object.fromEntries(Object.entries(opts.env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const limit = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`devenv ${args.join(' ')} did not finish within ${limit}ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, limit);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, durationMs: Date.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs `node bin/run.js …` as a user would (needs `npm run build`). */
export function runCli(args: string[], opts: RunOptions): Promise<CliResult> {
  return spawnCli([], args, opts);
}

export interface FakeCommand {
  cmd: string;
  /** Exact args to match; omitted = any args. */
  args?: string[];
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  notFound?: boolean;
  /** Never answers (until aborted). */
  hang?: boolean;
  delayMs?: number;
}

/** A table of fake commands that fails loudly on anything unexpected. */
export function fakeExec(table: FakeCommand[]): Exec & { calls: string[] } {
  const calls: string[] = [];
  const fn = (async (cmd, args, opts = {}) => {
    const line = formatCommand(cmd, args);
    calls.push(line);
    const base = path.basename(cmd);
    const hit = table.find((t) => (t.cmd === cmd || t.cmd === base) && (!t.args || t.args.join('\0') === args.join('\0')));
    if (!hit) throw new Error(`fakeExec: unexpected command: ${line}`);
    const wait = hit.hang ? 24 * 3600_000 : hit.delayMs ?? 0;
    let aborted = false;
    if (wait > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        opts.signal?.addEventListener('abort', () => {
          aborted = true;
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
    const exitCode = aborted ? undefined : hit.notFound ? undefined : hit.exitCode ?? 0;
    return {
      command: line,
      exitCode,
      stdout: aborted ? '' : hit.stdout ?? '',
      stderr: aborted ? '' : hit.stderr ?? '',
      notFound: Boolean(hit.notFound),
      timedOut: false,
      aborted,
      ok: exitCode === 0,
      durationMs: wait,
    } satisfies ExecResult;
  }) as Exec & { calls: string[] };
  fn.calls = calls;
  return fn;
}

/** A real context over a temp env; pass `exec` for a fake table. */
export async function testContext(opts: ContextOptions<IstioFacts> & { env: Record<string, string | undefined> }): Promise<Context<IstioFacts>> {
  return createContext({ interactive: false, project: istioProject, ...opts });
}

/**
 * When running as root, a prefix that drops the capabilities that bypass file
 * permissions, so a mode-000 file or socket is refused as it would be for a
 * normal user; [] when not root (permissions already apply). Staying uid 0
 * keeps the checkout readable wherever CI clones it.
 */
export function asUnprivileged(): string[] {
  return typeof process.getuid === 'function' && process.getuid() === 0
    ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search,-fowner', '--']
    : [];
}

/** Like runCli, but prefixed by a command (e.g. asUnprivileged()). */
export function runCliAs(prefix: string[], args: string[], opts: RunOptions): Promise<CliResult> {
  return spawnCli(prefix, args, opts);
}

/** Parses `devenv doctor --json` output and returns the named check. */
export function checkFrom(stdout: string, id: string): Record<string, unknown> {
  const j = JSON.parse(stdout) as { checks: { id: string }[] };
  const c = j.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in output: ${stdout}`);
  return c as Record<string, unknown>;
}
