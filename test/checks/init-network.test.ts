import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initNetwork } from '../../checks/init-network.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree } from '../helpers/fixtures.js';

describe('init-network', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  for (const family of FAMILIES) {
    it(`${family}: ${family === '1.2-1.3' ? 'warns (1.2 and 1.3) with the way out; ok once make init completed, until istio.deps changes' : 'does not apply'}`, async () => {
      for (const minor of family === '1.2-1.3' ? [2, 3] : [undefined]) {
        const tree = await makeIstioTree(path.join(t.dir, `${family}-${minor}`), family, { minor });
        const ctx = await testContext({ env: { ...t.env, ...(tree.gopath ? { GOPATH: tree.gopath } : {}) }, dir: tree.root, platform: 'linux', arch: 'x64' });
        if (family !== '1.2-1.3') {
          assert.match(String(await initNetwork.appliesTo(ctx)), /fetches nothing unconditionally/);
          continue;
        }
        const r = await initNetwork.run(ctx);
        assert.equal(r.status, 'warn');
        assert.match(r.summary, new RegExp(`bin/init\\.sh:\\d+ fetches https://raw\\.githubusercontent\\.com/istio/proxy/${tree.proxySha}/istio\\.deps`));
        assert.match(r.hint ?? '', /Run make init once where raw\.githubusercontent\.com is reachable/);
        assert.equal('fix' in initNetwork, false, 'nothing can be prefetched: no fixer that could claim otherwise');
        await fs.mkdir(path.join(tree.gopath!, 'out/linux_amd64/release'), { recursive: true });
        await fs.writeFile(path.join(tree.gopath!, 'out/linux_amd64/release/istio_is_init'), '');
        const done = await initNetwork.run(ctx.fresh());
        assert.equal(done.status, 'ok', done.summary);
        // istio.deps edited since (a pull that moves PROXY_REPO_SHA): make runs bin/init.sh again, and it fetches again.
        const later = new Date(Date.now() + 60_000);
        await fs.utimes(path.join(tree.root, 'istio.deps'), later, later);
        const stale = await initNetwork.run(ctx.fresh());
        assert.equal(stale.status, 'warn', stale.summary);
        assert.match(stale.summary, /istio\.deps changed since make init last ran, so make runs bin\/init\.sh again/);
        assert.ok(stale.details?.some((d) => /istio\.deps is newer, so make runs bin\/init\.sh again \(Makefile:\d+\)/.test(d)), stale.details?.join('\n'));
      }
    });
  }
});
