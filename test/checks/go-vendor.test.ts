import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { goModules } from '../../checks/go-modules.js';
import { goVendor } from '../../checks/go-vendor.js';
import { goVersion } from '../../checks/go-version.js';
import { runChecks, runFixes } from '../../src/engine/engine.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { requireReal } from '../helpers/daemons.js';
import { makeIstioTree } from '../helpers/fixtures.js';

const haveGo = () => {
  try {
    execFileSync('sh', ['-c', 'command -v go'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('go-vendor on 1.2/1.3: the committed vendor/ is checked (not skipped behind go-modules) and never re-vendored', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('runs after go-modules warns; a missing vendor/ fails and the fix is `git checkout -- vendor/`', async (tc) => {
    if (!requireReal(tc, 'go', haveGo())) return;
    const tree = await makeIstioTree(path.join(t.dir, 'v13'), '1.2-1.3', { minor: 3 });
    const ctx = await testContext({ env: { ...t.env, GOPATH: tree.gopath, GOFLAGS: undefined, GOPROXY: 'off', GOTOOLCHAIN: 'local' }, dir: tree.root });
    const results = await runChecks([goVersion, goModules, goVendor], ctx, { timeoutMs: 30_000 });
    const by = new Map(results.map((r) => [r.id, r]));
    assert.equal(by.get('go-modules')!.status, 'warn');
    assert.equal(by.get('go-vendor')!.status, 'ok', by.get('go-vendor')!.summary);

    await fs.rm(path.join(tree.root, 'vendor'), { recursive: true });
    const missing = await runChecks([goVersion, goModules, goVendor], ctx.fresh(), { timeoutMs: 30_000 });
    const v = missing.find((r) => r.id === 'go-vendor')!;
    assert.equal(v.status, 'fail');
    assert.match(v.summary, /committed in git/);
    const outcomes = await runFixes([goModules, goVendor], ctx.fresh(), { timeoutMs: 30_000, yes: true, dryRun: true });
    const fixV = outcomes.find((o) => o.id === 'go-vendor')!;
    assert.deepEqual(fixV.plan?.steps.map((s) => [s.kind, s.describe]), [['manual', `git -C ${tree.root} checkout -- vendor/`]]);
    assert.ok(!JSON.stringify(outcomes.map((o) => o.plan)).includes('mod vendor'));
  });
});
