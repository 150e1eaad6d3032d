import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempEnv, testContext } from '../helpers/env.js';

describe('context: --offline and go.proxy', () => {
  it('offline keeps a file:// module proxy (on disk, no host) and turns a remote one off', async () => {
    const t = await tempEnv();
    try {
      const file = path.join(t.dir, 'file.json');
      await fs.writeFile(file, JSON.stringify({ go: { proxy: 'file:///var/lib/devenv/goproxy' } }));
      const remote = path.join(t.dir, 'remote.json');
      await fs.writeFile(remote, JSON.stringify({ go: { proxy: 'https://goproxy.example,direct' } }));
      const a = await testContext({ env: { ...t.env, DEVENV_CONFIG: file }, dir: t.dir, offline: true });
      assert.equal(a.config.go.proxy, 'file:///var/lib/devenv/goproxy');
      const b = await testContext({ env: { ...t.env, DEVENV_CONFIG: remote }, dir: t.dir, offline: true });
      assert.equal(b.config.go.proxy, 'off');
      const c = await testContext({ env: { ...t.env, DEVENV_CONFIG: remote }, dir: t.dir });
      assert.equal(c.config.go.proxy, 'https://goproxy.example,direct');
    } finally {
      await t.cleanup();
    }
  });
});
