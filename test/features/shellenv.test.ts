import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeShellEnv } from '../../src/features/shellenv.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { makeIstioTree } from '../helpers/fixtures.js';

describe('shellenv per release line', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('GOPATH for the GOPATH lines; GO111MODULE=off for 1.1 (dep), GOFLAGS=-mod=vendor for 1.2/1.3, GO111MODULE=on for modules', async () => {
    const cases = [
      ['1.1', { GOPATH: true, GO111MODULE: 'off', GOFLAGS: undefined }],
      ['1.2-1.3', { GOPATH: true, GO111MODULE: 'on', GOFLAGS: '-mod=vendor' }],
      ['1.4', { GOPATH: true, GO111MODULE: 'on', GOFLAGS: undefined }],
      ['1.20+', { GOPATH: false, GO111MODULE: 'on', GOFLAGS: undefined }],
    ] as const;
    for (const [family, want] of cases) {
      const tree = await makeIstioTree(path.join(t.dir, family), family);
      const ctx = await testContext({ env: { ...t.env, GOFLAGS: undefined }, dir: tree.root });
      const vars = new Map((await computeShellEnv(ctx)).vars);
      assert.equal(vars.get('GOPATH'), want.GOPATH ? tree.gopath : undefined, family);
      assert.equal(vars.get('GO111MODULE'), want.GO111MODULE, family);
      assert.equal(vars.get('GOFLAGS'), want.GOFLAGS, family);
    }
  });

  it('outside a checkout with nothing installed: one comment says so (evaluates to nothing), not an empty output', async () => {
    const { execFileSync } = await import('node:child_process');
    const { renderShellEnv } = await import('../../src/features/shellenv.js');
    const outside = path.join(t.dir, 'not-a-checkout');
    await (await import('node:fs/promises')).mkdir(outside, { recursive: true });
    const env = await computeShellEnv(await testContext({ env: t.env, dir: outside }));
    const text = renderShellEnv(env, 'bash');
    assert.equal(text, '# nothing to export outside an Istio checkout: devenv has installed no Go or gems here (run it inside a checkout, or pass --dir)\n');
    assert.equal(execFileSync('bash', ['--norc', '--noprofile', '-c', `${text}\necho ok`]).toString(), 'ok\n');
  });
});
