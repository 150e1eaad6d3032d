import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { istioFixture, runCli, tempEnv } from '../helpers/env.js';

describe('devenv env init', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  const ORIGINAL = '# my settings\r\nHUB := docker.io/old  # mine\r\n\r\nexport GOPROXY ?= https://proxy.example\r\n\xe9t\xe9 := latin1\r\n';

  it('without flags and without a terminal: does nothing, says why, exit 2', async () => {
    const root = await istioFixture(path.join(t.dir, 'noflags'), { version: '1.24-dev' });
    await fs.writeFile(path.join(root, '.istiorc.mk'), Buffer.from(ORIGINAL, 'latin1'));
    const r = await runCli(['env', 'init', '--dir', root], { env: t.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing to do: no --hub or --tag given, and no terminal to ask on; \.istiorc\.mk was not touched/);
    assert.match(r.stderr, /devenv env init --hub docker\.io\/<you> --tag 1\.24-dev\n/, 'the tag suggested is this checkout\'s');
    assert.equal(await fs.readFile(path.join(root, '.istiorc.mk'), 'latin1'), ORIGINAL);
  });

  // Regression: env init wrote .env, which Istio's make never reads; .istiorc.mk is -included on every line.
  it('--hub/--tag change only those values in .istiorc.mk, byte for byte elsewhere, with a backup; doctor then sees them', async () => {
    const root = await istioFixture(path.join(t.dir, 'flags'));
    await fs.writeFile(path.join(root, '.istiorc.mk'), Buffer.from(ORIGINAL, 'latin1'));
    const r = await runCli(['env', 'init', '--hub', 'gcr.io/my-proj', '--tag', '1.4-dev', '--dir', root], { env: t.env });
    assert.equal(r.code, 0, r.stderr);
    const after = await fs.readFile(path.join(root, '.istiorc.mk'), 'latin1');
    assert.equal(after, ORIGINAL.replace('docker.io/old', 'gcr.io/my-proj') + 'TAG ?= 1.4-dev\r\n');
    assert.equal(await fs.readFile(path.join(root, '.istiorc.mk.devenv-backup'), 'latin1'), ORIGINAL);
    const doctor = await runCli(['doctor', '--json', '--only', 'hub-tag', '--dir', root], { env: t.env });
    assert.equal(JSON.parse(doctor.stdout).checks[0].status, 'ok');
    const again = await runCli(['env', 'init', '--hub', 'gcr.io/my-proj', '--tag', '1.4-dev', '--dir', root], { env: t.env });
    assert.match(again.stdout, /nothing changed/);
  });

  it('an invalid value: exit 2 naming it; nothing written', async () => {
    const root = await istioFixture(path.join(t.dir, 'invalid'));
    const r = await runCli(['env', 'init', '--hub', 'Docker.io/Me', '--dir', root], { env: t.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--hub Docker\.io\/Me: not a valid image repository/);
    await assert.rejects(fs.access(path.join(root, '.istiorc.mk')));
  });

  it('outside a checkout: exit 2', async () => {
    const r = await runCli(['env', 'init', '--hub', 'docker.io/me', '--dir', t.dir], { env: t.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not in an Istio checkout/);
  });
});

describe('secrets never appear in output', () => {
  it('info, info --json, doctor --json and error messages redact planted secrets', async () => {
    const t = await tempEnv();
    try {
      const secrets = ['ghp_plantedTokenValue123', 's3cr3tpass', 'Bearer-planted-auth-header', 'kube-planted-token', 'dXNlcjpkb2NrZXJwYXNz', 'dockerpass'];
      const root = await istioFixture(path.join(t.dir, 'istio'), { files: { '.env': 'export HUB=docker.io/jane\nexport TAG=1.4-dev\n' } });
      const dc = path.join(t.dir, 'dockercfg');
      await fs.mkdir(dc, { recursive: true });
      await fs.writeFile(path.join(dc, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'dXNlcjpkb2NrZXJwYXNz' } } }));
      const kube = path.join(t.dir, 'kubeconfig');
      await fs.writeFile(kube, 'apiVersion: v1\ncurrent-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:9"}\nusers:\n- name: u\n  user: {token: kube-planted-token}\n');
      const env = {
        ...t.env,
        GITHUB_TOKEN: 'ghp_plantedTokenValue123',
        GOPROXY: 'https://user:s3cr3tpass@proxy.example.com/go',
        AUTH_HEADER: 'Authorization: Bearer-planted-auth-header',
        DOCKER_CONFIG: dc,
        KUBECONFIG: kube,
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        GOPATH: path.join(t.dir, 'gopath'),
      };
      const cfgWithSecret = path.join(t.dir, 'bad.json');
      await fs.writeFile(cfgWithSecret, JSON.stringify({ mirrors: { urls: { 'https://storage.googleapis.com/': 'https://u:s3cr3tpass@mirror.example/' } }, bogus: 1 }));
      const runs = await Promise.all([
        runCli(['info', '--dir', root], { env }),
        runCli(['info', '--json', '--dir', root], { env }),
        runCli(['doctor', '--json', '--profile', 'all', '--timeout', '8', '--dir', root], { env }),
        runCli(['doctor', '--dir', root, '--config', cfgWithSecret], { env }),
        runCli(['fix', 'envoy-binaries', '--dry-run', '--dir', root], { env }),
      ]);
      const [md, json] = runs;
      assert.equal(md.code, 0, md.stderr);
      assert.match(md.stdout, /### Environment \(devenv info\)/);
      assert.match(md.stdout, /GOPROXY: https:\/\/user:\*\*\*@proxy\.example\.com\/go/);
      assert.match(md.stdout, /\| devenv doctor|### devenv doctor/);
      assert.doesNotMatch(md.stdout, new RegExp(t.env.HOME!.replace(/[/.]/g, '\\$&')));
      const j = JSON.parse(json.stdout);
      assert.equal(j.checkout.version, '1.4-dev');
      assert.match(j.build.HUB, /docker\.io\/jane/);
      for (const r of runs) {
        const all = r.stdout + r.stderr;
        for (const s of secrets) assert.ok(!all.includes(s), `secret ${s} leaked in:\n${all.slice(0, 2000)}`);
      }
    } finally {
      await t.cleanup();
    }
  });
});
