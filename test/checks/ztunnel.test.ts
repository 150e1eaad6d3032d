import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ztunnel } from '../../checks/ztunnel.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree, serveArtifacts, upstreamArtifacts } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http.js';

describe('ztunnel', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  before(async () => {
    t = await tempEnv();
    server = await startServer();
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  for (const family of FAMILIES) {
    const applies = family === '1.18' || family === '1.20+' || family === 'master';
    it(`${family}: ${applies ? 'the three places build_ztunnel.sh uses' : 'does not apply'}`, async () => {
      const tree = await makeIstioTree(path.join(t.dir, family), family);
      for (const arch of applies ? ['amd64', 'arm64'] : ['amd64']) {
        const cfg = await serveArtifacts(path.dirname(tree.root), server.url, server.routes, upstreamArtifacts(tree, arch));
        const env = { ...t.env, DEVENV_CONFIG: cfg, ...(tree.gopath ? { GOPATH: tree.gopath } : {}), ...(arch !== 'amd64' ? { TARGET_ARCH: arch } : {}) };
        const ctx = await testContext({ env, dir: tree.root, platform: 'linux', arch: 'x64' });
        if (!applies) {
          assert.match(String(await ztunnel.appliesTo(ctx)), /builds no ztunnel/);
          continue;
        }
        const r = await ztunnel.run(ctx);
        assert.equal(r.status, 'fail');
        assert.match(r.summary, /^3 of 3 ztunnel files missing/);
        assert.match(String(r.source), /^istio\.deps:\d+$/);
        assert.match((r.details ?? []).join('\n'), new RegExp(`ztunnel-${tree.ztunnelSha}-${arch} \\(bin/build_ztunnel\\.sh:\\d+`));
        for (const s of (await ztunnel.fix(ctx)).steps) await s.run!(ctx);
        const ok = await ztunnel.run(ctx.fresh());
        assert.equal(ok.status, 'ok', ok.summary);
        assert.match(ok.summary, /Makefile\.core\.mk:\d+ runs it on every make init/);
        const dir = path.join(tree.root, `out/linux_${arch}`);
        for (const p of [`release/ztunnel-${tree.ztunnelSha}`, 'release/ztunnel', 'ztunnel']) assert.match(await fs.readFile(path.join(dir, p), 'utf8'), new RegExp(`ztunnel ${arch}`), p);
      }
    });
  }
});
