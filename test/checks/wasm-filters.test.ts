import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { wasmFilters } from '../../checks/wasm-filters.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree, serveArtifacts, upstreamArtifacts } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http.js';

describe('wasm-filters', () => {
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

  // 1.5/1.6: .wasm only; 1.7–1.17: .wasm and .compiled.wasm; each under two names. 1.18 and later fetch none.
  const files: Record<string, number> = { '1.5': 4, '1.6-1.7': 8, '1.8-1.16': 8 };
  for (const family of FAMILIES) {
    it(`${family}: ${files[family] ? `${files[family]} files, placed under the names init.sh copies them to` : 'does not apply'}`, async () => {
      const tree = await makeIstioTree(path.join(t.dir, family), family);
      const cfg = await serveArtifacts(path.dirname(tree.root), server.url, server.routes, upstreamArtifacts(tree));
      const ctx = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, ...(tree.gopath ? { GOPATH: tree.gopath } : {}) }, dir: tree.root, platform: 'linux', arch: 'x64' });
      const applies = await wasmFilters.appliesTo(ctx);
      if (!files[family]) {
        assert.match(String(applies), /fetches no wasm filters/);
        return;
      }
      assert.equal(applies, true);
      const r = await wasmFilters.run(ctx);
      assert.equal(r.status, 'fail');
      assert.match(r.summary, new RegExp(`^${files[family]} of ${files[family]} wasm filter files missing`));
      for (const s of (await wasmFilters.fix(ctx)).steps) await s.run!(ctx);
      assert.equal((await wasmFilters.run(ctx.fresh())).status, 'ok');
      const rel = path.join(tree.root, 'out/linux_amd64/release');
      assert.equal(await fs.readFile(path.join(rel, 'metadata-exchange-filter.wasm'), 'utf8'), 'wasm metadata_exchange\n');
      assert.equal(await fs.readFile(path.join(rel, `stats-${tree.proxySha}.wasm`), 'utf8'), 'wasm stats\n');
      if (tree.minor >= 7) assert.equal(await fs.readFile(path.join(rel, 'stats-filter.compiled.wasm'), 'utf8'), 'compiled wasm stats\n');
    });
  }
});
