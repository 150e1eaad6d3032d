import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFrom, istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { DEPS, DOCKERFILE_KUBECTL, INIT_HELM_SH, INIT_SH, MAKEFILE, SHA, tarball } from '../helpers/istio14.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('prefetching what make init downloads (1.4-era checkout, loopback mirror)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  let cfg: string;
  const kubectl = Buffer.from('#!/bin/sh\necho kubectl v1.13.10\n');

  before(async () => {
    t = await tempEnv();
    const routes = {
      [`/istio-build/proxy/envoy-debug-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', '#!/bin/sh\necho envoy debug\n'),
      [`/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`]: await tarball(t.dir, 'usr/local/bin/envoy', '#!/bin/sh\necho envoy release build\n'),
      '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz': await tarball(t.dir, 'linux-amd64/helm', '#!/bin/sh\necho helm v2.10.0\n'),
      '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl': kubectl,
      '/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl.sha256': `${sha(kubectl)}\n`,
    };
    server = await startServer(routes);
    cfg = path.join(t.dir, 'devenv.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${server.url}/` } } }));
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  async function checkout(name: string) {
    const gopath = path.join(t.dir, name);
    const root = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), {
      files: { 'Makefile.core.mk': MAKEFILE, 'istio.deps': DEPS, 'bin/init.sh': INIT_SH, 'bin/init_helm.sh': INIT_HELM_SH, 'docker/Dockerfile.kubectl': DOCKERFILE_KUBECTL },
    });
    return { gopath, root, env: { ...t.env, GOPATH: gopath, GO111MODULE: 'on', DEVENV_CONFIG: cfg } };
  }

  const ids = ['envoy-binaries', 'helm', 'kubectl-cache'];

  it('dry run lists the rewritten URLs, destinations and the edit, and changes nothing', async () => {
    const { root, env, gopath } = await checkout('dry');
    const before = server.log.length;
    const r = await runCli(['fix', ...ids, '--dry-run', '--dir', root], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`download ${server.url}/istio-build/proxy/envoy-debug-${SHA}.tar.gz (else https://storage.googleapis.com/istio-build/proxy/envoy-debug-${SHA}.tar.gz)`), r.stdout);
    assert.ok(r.stdout.includes(`${gopath}/out/linux_amd64/debug/envoy-debug-${SHA}`));
    assert.ok(r.stdout.includes(`${server.url}/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz`));
    assert.match(r.stdout, /rewrite line 4 to: ADD kubectl \/usr\/bin\/kubectl/);
    assert.equal(server.log.length, before, 'a dry run made requests');
    await assert.rejects(fs.access(path.join(gopath, 'out')));
    assert.equal(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), DOCKERFILE_KUBECTL);
  });

  it('a second run of the fix is a no-op', async () => {
    const { root, env } = await checkout('twice');
    const first = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env, timeoutMs: 60_000 });
    assert.equal(first.code, 0, first.stdout);
    const second = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env });
    for (const f of JSON.parse(second.stdout).fixes) assert.equal(f.action, 'already-ok', JSON.stringify(f));
  });

  it('AUTH_HEADER is sent to the upstream host (as init.sh sends it) and never printed', async () => {
    const secret = 'Bearer s3cr3t-t0ken-value';
    const { root, env, gopath } = await checkout('auth');
    const tgz = server.routes.get(`/istio-build/proxy/envoy-debug-${SHA}.tar.gz`)!.body;
    const rel = server.routes.get(`/istio-build/proxy/envoy-alpha-${SHA}.tar.gz`)!.body;
    server.routes.set(`/private/envoy-debug-${SHA}.tar.gz`, { body: tgz, requireHeader: ['authorization', secret] });
    server.routes.set(`/private/envoy-alpha-${SHA}.tar.gz`, { body: rel, requireHeader: ['authorization', secret] });
    const authEnv = { ...env, ISTIO_ENVOY_BASE_URL: `${server.url}/private`, AUTH_HEADER: `Authorization: ${secret}` };
    const dry = await runCli(['fix', 'envoy-binaries', '--dry-run', '--dir', root], { env: authEnv });
    assert.ok(dry.stdout.includes(`${server.url}/private/envoy-debug-${SHA}.tar.gz`), dry.stdout);
    const r = await runCli(['fix', 'envoy-binaries', '--yes', '--verbose', '--dir', root], { env: authEnv, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const hits = server.requests.filter((q) => q.path.startsWith('/private/envoy-'));
    assert.ok(hits.length >= 2 && hits.every((q) => q.headers.authorization === secret), JSON.stringify(hits.map((h) => [h.path, h.headers.authorization])));
    for (const out of [dry.stdout, dry.stderr, r.stdout, r.stderr]) assert.ok(!out.includes('s3cr3t'), `the secret was printed: ${out}`);
    assert.ok(await fs.access(path.join(gopath, `out/linux_amd64/debug/envoy-debug-${SHA}`)).then(() => true));
  });

  it('a "kubectl" that is not a program (shell text with no #!, an error page) is never run, never kept, and the fix says what came', async () => {
    // execvp(3) hands a file the kernel refuses to /bin/sh: run, these bytes would create $HOME/kubectl-ran
    const text = Buffer.from('touch "$HOME/kubectl-ran"\n');
    const url = '/kubernetes-release/release/v1.13.11/bin/linux/amd64/kubectl';
    server.routes.set(url, { body: text });
    server.routes.set(`${url}.sha256`, { body: `${sha(text)}\n` });
    const { root, env, gopath } = await checkout('not-a-program');
    const dockerfile = path.join(root, 'docker/Dockerfile.kubectl');
    const original = DOCKERFILE_KUBECTL.replace('v1.13.10', 'v1.13.11');
    await fs.writeFile(dockerfile, original);
    const r = await runCli(['fix', 'kubectl-cache', '--yes', '--json', '--dir', root], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const [f] = JSON.parse(r.stdout).fixes as { action: string; message: string }[];
    assert.equal(f.action, 'failed');
    assert.match(f.message, /for kubectl is not a program \(it starts with "touch \\"\$HOME\/kub"\); it was not run and not kept/);
    await assert.rejects(fs.access(path.join(t.env.HOME!, 'kubectl-ran')), 'the bytes were run as a shell script');
    await assert.rejects(fs.access(path.join(gopath, 'out/linux_amd64/release/docker_build/docker.kubectl/kubectl')), 'kept in the build context');
    assert.equal(await fs.readFile(dockerfile, 'utf8'), original, 'the Dockerfile was edited for a kubectl that is not there');
  });

  it('after the fix, the init scripts run with the mirror stopped, doctor says ok; a second checkout comes from the cache; revert restores the Dockerfile', async () => {
    const { root, env, gopath } = await checkout('one');
    const bare = await checkout('bare');
    const before = await runCli(['doctor', '--json', '--only', ids.join(','), '--dir', root], { env });
    for (const id of ids) assert.equal(checkFrom(before.stdout, id).status, 'fail', id);
    assert.equal(checkFrom(before.stdout, 'envoy-binaries').source, 'istio.deps:8');
    assert.equal(checkFrom(before.stdout, 'kubectl-cache').source, 'docker/Dockerfile.kubectl:4');

    const fix = await runCli(['fix', ...ids, '--yes', '--json', '--dir', root], { env, timeoutMs: 120_000 });
    const fixes = JSON.parse(fix.stdout).fixes as { id: string; action: string; message: string | null }[];
    for (const f of fixes) assert.equal(f.action, 'fixed', JSON.stringify(f));
    assert.equal(fix.code, 0);
    const dockerfile = await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8');
    assert.match(dockerfile, /^ADD kubectl \/usr\/bin\/kubectl$/m);
    assert.deepEqual(await fs.readFile(path.join(gopath, 'out/linux_amd64/release/docker_build/docker.kubectl/kubectl')), kubectl);

    const after = await runCli(['doctor', '--json', '--only', ids.join(','), '--dir', root], { env });
    for (const id of ids) assert.equal(checkFrom(after.stdout, id).status, 'ok', `${id}: ${checkFrom(after.stdout, id).summary}`);
    assert.match(String(checkFrom(after.stdout, 'kubectl-cache').summary), /cached and verified; .*differs from git; undo: devenv fix --revert kubectl-cache/);
    // No .sha256 is published for the Envoy and helm tarballs: the output says so.
    assert.match(String(checkFrom(after.stdout, 'envoy-binaries').summary), /unverified upstream/);
    assert.match(String(checkFrom(after.stdout, 'helm').summary), /unverified upstream/);

    // A second checkout, same machine: everything from the cache, not one request.
    const two = await checkout('two');
    const requests = server.log.length;
    const saved = new Map(server.routes);
    server.routes.clear();
    try {
      const fix2 = await runCli(['fix', ...ids, '--yes', '--json', '--dir', two.root], { env: two.env, timeoutMs: 60_000 });
      for (const f of JSON.parse(fix2.stdout).fixes) assert.equal(f.action, 'fixed', JSON.stringify(f));
      assert.equal(server.log.length, requests, `the second checkout made requests: ${server.log.slice(requests).join(', ')}`);
    } finally {
      for (const [k, v] of saved) server.routes.set(k, v);
    }

    // The mirror goes away. make init must not need it: the scripts' only way out is a proxy on the stopped port.
    await server.close();
    const dead = server.url;
    const initEnv = (gp: string) => ({ PATH: process.env.PATH, GOPATH: gp, HOME: t.env.HOME, https_proxy: dead, http_proxy: dead, HTTPS_PROXY: dead, HTTP_PROXY: dead, no_proxy: '' });
    const run = (gp: string, r: string, script: string) => execFileSync('bash', [path.join(r, script)], { env: initEnv(gp), stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();
    for (const c of [{ gopath, root }, { gopath: two.gopath, root: two.root }]) {
      assert.match(run(c.gopath, c.root, 'bin/init.sh'), /envoy debug/);
      assert.match(run(c.gopath, c.root, 'bin/init_helm.sh'), /helm v2\.10\.0/);
    }
    // The control: without the prefetch, the same scripts need the network and fail.
    assert.throws(() => run(bare.gopath, bare.root, 'bin/init.sh'), /DOWNLOADING/);
    assert.throws(() => run(bare.gopath, bare.root, 'bin/init_helm.sh'), /DOWNLOADING/);
    const still = await runCli(['doctor', '--json', '--only', ids.join(','), '--dir', root], { env });
    for (const id of ids) assert.equal(checkFrom(still.stdout, id).status, 'ok', `${id} after make init: ${checkFrom(still.stdout, id).summary}`);

    // Revert: the original Dockerfile comes back byte for byte; then revert has nothing to do.
    const rev = await runCli(['fix', '--revert', 'kubectl-cache', '--json', '--dir', root], { env });
    const revFix = JSON.parse(rev.stdout).fixes[0];
    assert.equal(revFix.action, 'reverted', rev.stdout);
    // The re-check is the real check: after a revert the Dockerfile ADDs the remote URL again, so it is not ok.
    assert.notEqual(revFix.after.status, 'ok', rev.stdout);
    assert.equal(await fs.readFile(path.join(root, 'docker/Dockerfile.kubectl'), 'utf8'), DOCKERFILE_KUBECTL);
    const again = await runCli(['fix', '--revert', 'kubectl-cache', '--json', '--dir', root], { env });
    assert.equal(JSON.parse(again.stdout).fixes[0].action, 'reverted');
    assert.equal(JSON.parse(again.stdout).fixes[0].message, 'nothing to revert');

    // Revert after the user edited the Dockerfile too: only the ADD line goes back, their edit stays.
    const f2 = path.join(two.root, 'docker/Dockerfile.kubectl');
    await fs.writeFile(f2, (await fs.readFile(f2, 'utf8')) + 'LABEL mine=1\n');
    const rev2 = await runCli(['fix', '--revert', 'kubectl-cache', '--json', '--dir', two.root], { env: two.env });
    assert.equal(JSON.parse(rev2.stdout).fixes[0].action, 'reverted', rev2.stdout);
    assert.equal(await fs.readFile(f2, 'utf8'), DOCKERFILE_KUBECTL + 'LABEL mine=1\n');
  });
});
