/**
 * Kill campaign (issue 12): 10 kill -9 at random moments of
 * `fix envoy-binaries helm kubectl-cache` against a rate-limited loopback
 * mirror. After each: nothing partial at any destination, the Dockerfile
 * whole (original or rewritten), no subprocess left. Then a clean run: all
 * fixed, no temp litter of the killed runs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { DEPS, DOCKERFILE_KUBECTL, INIT_HELM_SH, INIT_SH, MAKEFILE, SHA, tarball } from '../helpers/istio14.js';
import { processesUsing, serveDirSlowly, startCli, waitFor, type SlowServer } from '../helpers/procs.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const KILLS = 10;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

describe('kill -9 campaign against a rate-limited mirror', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: SlowServer;
  const complete = new Set<string>();
  let root: string;
  let gopath: string;
  let env: Record<string, string | undefined>;

  before(async () => {
    t = await tempEnv();
    const script = (name: string) => Buffer.from(`#!/bin/sh\necho ${name}\nexit 0\n# ${randomBytes(900_000).toString('base64')}\n`);
    const [debug, release, helm, kubectl] = [script('envoy debug'), script('envoy release build'), script('helm v2.10.0'), script('kubectl v1.13.10')];
    for (const b of [debug, release, helm, kubectl]) complete.add(sha(b));
    const files: Record<string, Buffer | string> = {
      [`istio-build/proxy/envoy-debug-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', debug),
      [`istio-build/proxy/envoy-alpha-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', release),
      'kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': await tarball(t.dir, 'linux-amd64/helm', helm),
      'kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
      'kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': `${sha(kubectl)}\n`,
    };
    const www = path.join(t.dir, 'www');
    for (const [rel, body] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(www, rel)), { recursive: true });
      await fs.writeFile(path.join(www, rel), body);
    }
    // ~1.2 MB per artifact at 300 kB/s: a full fix takes several seconds (longer than the latest kill at 2.15 s, whatever
    // the machine's load), so kills land in every phase, from the first request to placing the files.
    server = await serveDirSlowly(www, 300_000);
    const cfg = path.join(t.dir, 'devenv.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/` } } }));
    gopath = path.join(t.dir, 'gopath');
    root = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), {
      files: { 'Makefile.core.mk': MAKEFILE, 'istio.deps': DEPS, 'bin/init.sh': INIT_SH, 'bin/init_helm.sh': INIT_HELM_SH, 'docker/Dockerfile.kubectl': DOCKERFILE_KUBECTL },
    });
    env = { ...t.env, GOPATH: gopath, GO111MODULE: 'on', DEVENV_CONFIG: cfg };
  });
  after(async () => {
    await server?.close();
    await t?.cleanup();
  });

  const ids = ['envoy-binaries', 'helm', 'kubectl-cache'];
  const rewritten = DOCKERFILE_KUBECTL.replace(/^ADD \S+ \/usr\/bin\/kubectl$/m, 'ADD kubectl /usr/bin/kubectl');

  it(`${KILLS} kill -9 at random moments leave nothing partial and no subprocess; the next run is clean`, async () => {
    const killed: number[] = [];
    const report: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      // Each round starts with work to do: artifacts and the download cache gone (earlier rounds' litter stays).
      for (const f of [...(await walk(path.join(gopath, 'out'))), ...(await walk(path.join(gopath, 'bin')))]) if (!path.basename(f).startsWith('.')) await fs.rm(f);
      await fs.rm(env.XDG_CACHE_HOME!, { recursive: true, force: true });
      const cli = startCli(['fix', ...ids, '--yes', '--dir', root], { env });
      const at = 150 + Math.floor(Math.random() * 2000);
      const ended = await Promise.race([cli.done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), at))]);
      if (!ended) {
        process.kill(cli.pid, 'SIGKILL');
        killed.push(cli.pid);
      }
      await cli.done;
      report.push(`${at}ms${ended ? ' (finished first)' : ''}`);
      // Nothing partial at a destination: every file under out/ and bin/ is a whole artifact (or helm's empty marker).
      for (const f of [...(await walk(path.join(gopath, 'out'))), ...(await walk(path.join(gopath, 'bin')))]) {
        const base = path.basename(f);
        if (base.startsWith('.') && base.endsWith('.part')) continue; // litter, checked after the clean run
        if (base.startsWith('version.helm.')) continue;
        assert.ok(complete.has(sha(await fs.readFile(f))), `kill ${i} at ${at}ms: ${f} is not a whole artifact`);
      }
      const dockerfile = await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8');
      assert.ok(dockerfile === DOCKERFILE_KUBECTL || dockerfile === rewritten, `kill ${i}: Dockerfile.kubectl is neither the original nor the rewritten one:\n${dockerfile}`);
      await waitFor(async () => (await processesUsing(gopath)).length === 0, 5_000, `kill ${i}: subprocesses gone (${JSON.stringify(await processesUsing(gopath))})`);
    }
    assert.ok(killed.length >= KILLS / 2, `most runs must really be killed: ${report.join(', ')}`);

    const clean = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env, timeoutMs: 120_000 });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    for (const f of JSON.parse(clean.stdout).fixes as { id: string; action: string }[]) assert.ok(['fixed', 'already-ok'].includes(f.action), JSON.stringify(f));
    assert.doesNotMatch(clean.stderr, /MaxListenersExceededWarning/);
    const doctor = await runCli(['doctor', '--json', '--only', ids.join(','), '--dir', root], { env });
    for (const c of JSON.parse(doctor.stdout).checks as { id: string; status: string; summary: string }[]) assert.equal(c.status, 'ok', `${c.id}: ${c.summary}`);
    const litter = [...(await walk(path.join(gopath, 'out'))), ...(await walk(path.join(root, 'docker')))].filter((f) => f.endsWith('.part'));
    assert.deepEqual(litter, []);
    const tmp = (await fs.readdir(os.tmpdir())).filter((n) => killed.some((pid) => n.includes(`-${pid}-`)));
    assert.deepEqual(tmp, [], 'temp tarballs and work dirs of the killed runs');
    const second = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env });
    for (const f of JSON.parse(second.stdout).fixes as { action: string }[]) assert.equal(f.action, 'already-ok');
  });
});
