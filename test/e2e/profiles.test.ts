import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempEnv } from '../helpers/env.js';

describe('profiles', () => {
  it('default run has no cluster or pilot-local checks; --profile all has them; unknown profile exits 2', async () => {
    const t = await tempEnv();
    try {
      const def = JSON.parse((await runCli(['checks', '--json'], { env: t.env, cwd: t.dir })).stdout) as { id: string; profiles: string[] }[];
      assert.ok(def.some((c) => c.id === 'kubeconfig'));
      const d = await runCli(['doctor', '--json', '--timeout', '5'], { env: { ...t.env, DOCKER_HOST: 'unix:///nonexistent.sock' }, cwd: t.dir });
      const ids = (JSON.parse(d.stdout).checks as { id: string }[]).map((c) => c.id);
      assert.ok(!ids.includes('kubeconfig') && !ids.includes('pilot-local'), ids.join());
      const all = await runCli(['doctor', '--json', '--profile', 'all', '--timeout', '5'], { env: { ...t.env, DOCKER_HOST: 'unix:///nonexistent.sock', KUBECONFIG: path.join(t.dir, 'none') }, cwd: t.dir });
      const allIds = (JSON.parse(all.stdout).checks as { id: string }[]).map((c) => c.id);
      assert.ok(allIds.includes('kubeconfig') && allIds.includes('pilot-local'), allIds.join());
      const bad = await runCli(['doctor', '--profile', 'clusterr'], { env: t.env, cwd: t.dir });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /clusterr/);
    } finally {
      await t.cleanup();
    }
  });
});
