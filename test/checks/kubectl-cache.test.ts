import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubectlCache } from '../../checks/kubectl-cache.js';
import { DevenvError } from '../../src/platform/errors.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree } from '../helpers/fixtures.js';

describe('kubectl-cache', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  // docker/Dockerfile.kubectl ADDs kubectl from a URL on 1.1–1.5 (v1.11.1 ≤1.2, v1.13.10 1.3–1.5); gone from 1.6.
  const versions: Record<string, string> = { '1.1': 'v1.11.1', '1.2-1.3': 'v1.13.10', '1.4': 'v1.13.10', '1.5': 'v1.13.10' };
  for (const family of FAMILIES) {
    it(`${family}: ${versions[family] ? `kubectl ${versions[family]} under the line's docker build dir` : 'does not apply'}`, async () => {
      const tree = await makeIstioTree(path.join(t.dir, family), family);
      const ctx = await testContext({ env: { ...t.env, ...(tree.gopath ? { GOPATH: tree.gopath } : {}) }, dir: tree.root, platform: 'linux', arch: 'x64' });
      if (!versions[family]) {
        assert.match(String(await kubectlCache.appliesTo(ctx)), /no docker\/Dockerfile\.kubectl/);
        return;
      }
      const r = await kubectlCache.run(ctx);
      assert.equal(r.status, 'fail');
      assert.equal(r.required, `kubectl ${versions[family]}`);
      const buildTop = tree.era === 'gopath' ? path.join(tree.gopath!, 'out/linux_amd64/release/docker_build') : path.join(tree.root, 'out/linux_amd64/docker_build');
      assert.ok(r.summary.includes(path.join(buildTop, 'docker.kubectl/kubectl')), r.summary);
    });
  }

  it('a Dockerfile already rewritten with no backup left (state dir gone): the fix plan is a user-facing error with the way out, not a devenv crash', async () => {
    const tree = await makeIstioTree(path.join(t.dir, 'no-backup'), '1.4');
    const file = path.join(tree.root, 'docker/Dockerfile.kubectl');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace(/^(\s*ADD\s+)\S+(\s+\S*kubectl\s*)$/im, '$1kubectl$2'));
    const ctx = await testContext({ env: { ...t.env, ...(tree.gopath ? { GOPATH: tree.gopath } : {}) }, dir: tree.root, platform: 'linux', arch: 'x64' });
    const err = await kubectlCache.fix!(ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DevenvError, `not a DevenvError: ${String(err)}`);
    assert.match(err.message, /docker\/Dockerfile\.kubectl no longer ADDs kubectl from a URL and devenv has no backup of it/);
    assert.deepEqual(err.suggestions, ['Restore it with: git checkout -- docker/Dockerfile.kubectl']);
  });
});
