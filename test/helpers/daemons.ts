/**
 * The real daemons the harness (scripts/test.sh) starts: a private dockerd and
 * a docker-registry on 127.0.0.1. Tests ask for them with requireReal(): a
 * missing component skips locally and fails under CI=true.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export function dockerHost(): string | undefined {
  return process.env.DEVENV_TEST_DOCKER_HOST || undefined;
}

export function registryAddr(): string | undefined {
  return process.env.DEVENV_TEST_REGISTRY || undefined;
}

export function harnessDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/harness');
}

/** true when `value` is there; otherwise skips the test, or fails it under CI=true. */
export function requireReal(t: TestContext, what: string, value: unknown): boolean {
  if (value) return true;
  if (process.env.CI === 'true') throw new Error(`${what} is required under CI=true but missing`);
  t.skip(`${what} is not available (run the suite with npm test)`);
  return false;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code });
    });
  });
}

/** Starts a second private dockerd (root only). */
export async function startDockerd(dir: string): Promise<{ host: string; stop(): Promise<void> }> {
  const r = await run('bash', [path.join(harnessDir(), 'dockerd.sh'), 'start', dir]);
  if (r.code !== 0) throw new Error(`dockerd did not start: ${r.stderr}`);
  return { host: r.stdout.trim(), stop: async () => void (await run('bash', [path.join(harnessDir(), 'dockerd.sh'), 'stop', dir])) };
}

export async function startRegistry(dir: string): Promise<{ addr: string; stop(): Promise<void> }> {
  const r = await run('bash', [path.join(harnessDir(), 'registry.sh'), 'start', dir]);
  if (r.code !== 0) throw new Error(`registry did not start: ${r.stderr}`);
  return { addr: r.stdout.trim(), stop: async () => void (await run('bash', [path.join(harnessDir(), 'registry.sh'), 'stop', dir])) };
}

let clientConfig: Promise<string> | undefined;

/** The docker CLI against `host`, with a throwaway DOCKER_CONFIG (never ~/.docker). Never throws. */
export async function docker(host: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  clientConfig ??= fs.mkdtemp(path.join(os.tmpdir(), 'devenv-docker-config-')).then((dir) => {
    process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // one per test process, gone with it
    return dir;
  });
  const env = { PATH: process.env.PATH, HOME: os.tmpdir(), DOCKER_HOST: host, DOCKER_CONFIG: await clientConfig };
  return run('docker', args, env);
}

/** A tiny image made in the test: `docker import` of a one-file tarball. Returns its image ID. */
export async function importTinyImage(host: string, ref: string, content = ref): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devenv-img-'));
  try {
    await fs.writeFile(path.join(dir, 'content.txt'), content);
    const tarFile = path.join(dir, 'img.tar');
    const t = await run('tar', ['-C', dir, '-cf', tarFile, 'content.txt']);
    if (t.code !== 0) throw new Error(`tar failed: ${t.stderr}`);
    const r = await docker(host, ['import', tarFile, ref]);
    if (r.code !== 0) throw new Error(`docker import failed: ${r.stderr}`);
    return r.stdout.trim();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
