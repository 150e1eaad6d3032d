import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { helm } from '../../checks/helm.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree, serveArtifacts, upstreamArtifacts } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http.js';

describe('helm', () => {
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

  const versions: Record<string, string> = { '1.1': 'v2.9.1', '1.2-1.3': 'v2.9.1', '1.4': 'v2.10.0' };
  for (const family of FAMILIES) {
    it(`${family}: ${versions[family] ? `helm ${versions[family]} at $ISTIO_OUT (GOPATH layout)` : 'does not apply (no bin/init_helm.sh)'}`, async () => {
      const tree = await makeIstioTree(path.join(t.dir, family), family);
      const cfg = await serveArtifacts(path.dirname(tree.root), server.url, server.routes, upstreamArtifacts(tree));
      const ctx = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, ...(tree.gopath ? { GOPATH: tree.gopath } : {}) }, dir: tree.root, platform: 'linux', arch: 'x64' });
      if (!versions[family]) {
        assert.match(String(await helm.appliesTo(ctx)), /no bin\/init_helm\.sh/);
        return;
      }
      const r = await helm.run(ctx);
      assert.equal(r.status, 'fail');
      assert.equal(r.required, versions[family]);
      assert.match(String(r.source), /^bin\/init_helm\.sh:\d+$/);
      for (const s of (await helm.fix(ctx)).steps) await s.run!(ctx);
      assert.equal((await helm.run(ctx.fresh())).status, 'ok');
      const out = path.join(tree.gopath!, 'out/linux_amd64/release');
      assert.match(await fs.readFile(path.join(out, 'helm'), 'utf8'), new RegExp(`helm ${versions[family]}`));
      await fs.access(path.join(out, `version.helm.${versions[family]}`));
    });
  }
});
