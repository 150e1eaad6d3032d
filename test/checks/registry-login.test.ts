import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registryLogin } from '../../checks/registry-login.js';
import { runOneCheck } from '../../src/engine/engine.js';
import { istioFixture, tempEnv, testContext } from '../helpers/env.js';

describe('registry-login', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('registry-login: credentials by auths, credHelpers; missing → the exact docker login', async () => {
    const root = await istioFixture(path.join(t.dir, 'login'), { files: { '.env': 'export HUB=registry.example.com:5000/jane\nexport TAG=x\n' } });
    const dc = path.join(t.dir, 'dc');
    await fs.mkdir(dc, { recursive: true });
    const ctx = await testContext({ env: { ...t.env, DOCKER_CONFIG: dc }, dir: root });
    let r = await runOneCheck(registryLogin, ctx, 5000);
    assert.equal(r.status, 'warn');
    assert.equal(r.hint, 'docker login registry.example.com:5000');
    await fs.writeFile(path.join(dc, 'config.json'), JSON.stringify({ auths: { 'registry.example.com:5000': { auth: Buffer.from('jane:s3cr3t-pass').toString('base64') } } }));
    r = await runOneCheck(registryLogin, ctx, 5000);
    assert.equal(r.status, 'ok');
    assert.doesNotMatch(JSON.stringify(r), /amFuZT|s3cr3t/);
    await fs.writeFile(path.join(dc, 'config.json'), JSON.stringify({ credHelpers: { 'registry.example.com:5000': 'ecr-login' } }));
    r = await runOneCheck(registryLogin, ctx, 5000);
    assert.match(r.summary, /docker-credential-ecr-login/);
  });
});
