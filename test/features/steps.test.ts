import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execStep } from '../../src/features/steps.js';
import { tempEnv, testContext } from '../helpers/env.js';

describe('execStep: every fix command is bounded (issue 12 item 16)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('without a limit of its own, a hung command is stopped at fix.commandTimeoutMs and the error says so', async () => {
    const ctx = await testContext({ env: t.env, dir: t.dir });
    const c = { ...ctx, config: { ...ctx.config, fix: { ...ctx.config.fix, commandTimeoutMs: 300 } } };
    const started = Date.now();
    await assert.rejects(execStep('sleep', ['30']).run!(c), /sleep 30 did not finish within 0\.3 s \(fix\.commandTimeoutMs\) and was stopped/);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started}ms`);
  });

  it('a step with its own limit names it', async () => {
    const ctx = await testContext({ env: t.env, dir: t.dir });
    await assert.rejects(execStep('sleep', ['30'], { timeoutMs: 200 }).run!(ctx), /sleep 30 did not finish within 0\.2 s and was stopped/);
  });

  it('the default is documented: 20 minutes per command, 30 per plan', async () => {
    const ctx = await testContext({ env: t.env, dir: t.dir });
    assert.deepEqual(ctx.config.fix, { timeoutMs: 30 * 60_000, commandTimeoutMs: 20 * 60_000 });
  });
});
