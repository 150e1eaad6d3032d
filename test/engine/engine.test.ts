import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Check, CheckResult } from '../../src/engine/check.js';
import type { Context } from '../../src/engine/context.js';
import { classifyFix, runChecks, runFixes, runOneCheck, selectChecks, summarizeFixes } from '../../src/engine/engine.js';
import { DevenvError } from '../../src/platform/errors.js';
import { UsageError } from '../../src/platform/errors.js';
import { actionStep, execStep, manualStep } from '../../src/features/steps.js';
import { fakeExec, tempEnv, testContext } from '../helpers/env.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

function check(id: string, run: (ctx: Context) => Promise<CheckResult>, extra: Partial<Check> = {}): Check {
  return { id, title: id, category: 'toolchain', description: id, run, ...extra } satisfies Check;
}
const ok = (summary = 'fine'): CheckResult => ({ status: 'ok', summary });

describe('engine', () => {
  let ctx: Context;
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempEnv();
    cleanup = t.cleanup;
    ctx = await testContext({ env: t.env, dir: t.dir });
  });
  after(() => cleanup());

  it('runs independent checks concurrently: total ≈ slowest, not the sum', async () => {
    const checks = [300, 300, 300, 300].map((ms, i) => check(`c${i}`, async () => (await sleep(ms), ok())));
    const t0 = Date.now();
    const results = await runChecks(checks, ctx, { timeoutMs: 5000 });
    const took = Date.now() - t0;
    assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'ok', 'ok']);
    assert.ok(took < 900, `4 × 300 ms checks took ${took} ms; expected them to overlap`);
  });

  it('skips a check whose prerequisite failed, naming it; runs it when the prerequisite passes', async () => {
    const order: string[] = [];
    const checks = [
      check('base', async () => (order.push('base'), { status: 'fail', summary: 'broken' })),
      check('dependent', async () => (order.push('dependent'), ok()), { needs: ['base'] }),
      check('warned', async () => (order.push('warned'), { status: 'warn', summary: 'meh' })),
      check('after-warn', async () => (order.push('after-warn'), ok()), { needs: ['warned'] }),
    ];
    const results = await runChecks(checks, ctx, { timeoutMs: 5000 });
    const by = Object.fromEntries(results.map((r) => [r.id, r]));
    assert.equal(by.dependent.status, 'skip');
    assert.equal(by.dependent.summary, 'needs base');
    assert.equal(by['after-warn'].status, 'ok');
    assert.ok(!order.includes('dependent'));
    assert.ok(order.indexOf('warned') < order.indexOf('after-warn'));
  });

  it('a check that never returns fails at its timeout, naming the check and the command it waited on', async () => {
    const hung = fakeExec([{ cmd: 'docker', args: ['version'], hang: true }]);
    const c = { ...ctx, exec: hung };
    const slow = check('docker-thing', async (cx) => {
      await cx.exec('docker', ['version']);
      return ok();
    });
    const t0 = Date.now();
    const r = await runOneCheck(slow, c, 300);
    assert.ok(Date.now() - t0 < 2000);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /docker-thing: timed out after 0\.3s waiting for `docker version`/);
  });

  it('a real subprocess that hangs is killed at the timeout', async () => {
    const slow = check('sleeper', async (cx) => {
      await cx.exec('sleep', ['30']);
      return ok();
    });
    const t0 = Date.now();
    const r = await runOneCheck(slow, ctx, 500);
    assert.ok(Date.now() - t0 < 4000, 'sleep 30 was not killed');
    assert.match(r.summary, /sleeper: timed out after 0\.5s waiting for `sleep 30`/);
  });

  it('a throwing check becomes a fail naming it; the others still run', async () => {
    const checks = [
      check('boom', async () => {
        throw new Error('kaput');
      }),
      check('fine', async () => ok()),
    ];
    const [a, b] = await runChecks(checks, ctx, { timeoutMs: 1000 });
    assert.equal(a.status, 'fail');
    assert.equal(a.crashed, true);
    assert.match(a.summary, /^boom: check crashed in run: kaput/);
    assert.equal(b.status, 'ok');
  });

  it('a check that does not apply gives its own reason, not "needs X"', async () => {
    const checks = [
      check('base', async () => ok(), { appliesTo: () => 'not in an Istio checkout' }),
      check('dep', async () => ok(), { needs: ['base'], appliesTo: () => 'not in an Istio checkout' }),
      check('dep2', async () => ok(), { needs: ['base'] }),
    ];
    const [, dep, dep2] = await runChecks(checks, ctx, { timeoutMs: 1000 });
    assert.deepEqual([dep.status, dep.summary], ['skip', 'not in an Istio checkout']);
    assert.deepEqual([dep2.status, dep2.summary], ['skip', 'needs base']);
  });

  it('appliesTo: false or a reason gives skip', async () => {
    const r = await runOneCheck(check('x', async () => ok(), { appliesTo: () => 'not in an Istio checkout' }), ctx, 1000);
    assert.deepEqual([r.status, r.summary], ['skip', 'not in an Istio checkout']);
  });

  it('selectChecks: unknown id is a usage error; --only pulls in prerequisites; profiles filter', () => {
    const all = [
      check('a', async () => ok()),
      check('b', async () => ok(), { needs: ['a'] }),
      check('k', async () => ok(), { profiles: ['cluster'] }),
    ];
    assert.throws(() => selectChecks(all, { only: ['nope'] }), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /^unknown check id: nope$/.test(e.message));
    assert.throws(
      () => selectChecks([check('go-version', async () => ok()), check('go-vendor', async () => ok())], { only: ['go-versoin', 'go-vendro'] }),
      (e: unknown) => e instanceof UsageError && e.message === 'unknown check ids: go-versoin, go-vendro. Did you mean go-version, go-vendor?',
    );
    assert.deepEqual(selectChecks(all, { only: ['b'] }).map((c) => c.id), ['a', 'b']);
    assert.deepEqual(selectChecks(all, {}).map((c) => c.id), ['a', 'b']);
    assert.deepEqual(selectChecks(all, { profiles: ['all'] }).map((c) => c.id), ['a', 'b', 'k']);
    assert.deepEqual(selectChecks(all, { profiles: ['cluster'] }).map((c) => c.id), ['k']);
  });
});

describe('fix engine', () => {
  let ctx: Context;
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempEnv();
    cleanup = t.cleanup;
    ctx = await testContext({ env: t.env, dir: t.dir });
  });
  after(() => cleanup());

  it('runs the plan, then re-checks and reports the re-check; a second run is a no-op', async () => {
    let state = false;
    let runs = 0;
    const c = check('flag', async () => (state ? ok('set') : { status: 'fail', summary: 'unset' }), {
      fix: async () => ({ steps: [actionStep('write', 'set the flag', async () => void (runs++, (state = true)))] }),
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o.action, 'fixed');
    assert.equal(o.after?.summary, 'set');
    const [o2] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o2.action, 'already-ok');
    assert.equal(runs, 1);
  });

  it("starts from the check pass's result when nothing under the check changed, and looks again when a prerequisite was fixed", async () => {
    const runs: Record<string, number> = { base: 0, free: 0, upon: 0 };
    let baseSet = false;
    const counted = (id: string, r: () => CheckResult) => async () => (runs[id]++, r());
    const base = check('base', counted('base', () => (baseSet ? ok() : { status: 'fail', summary: 'unset' })), {
      fix: async () => ({ steps: [actionStep('write', 'set base', async () => void (baseSet = true))] }),
    });
    let freeSet = false;
    const free = check('free', counted('free', () => (freeSet ? ok() : { status: 'fail', summary: 'unset' })), {
      fix: async () => ({ steps: [actionStep('write', 'set free', async () => void (freeSet = true))] }),
    });
    let uponSet = false;
    const upon = check('upon', counted('upon', () => (uponSet ? ok() : { status: 'fail', summary: 'unset' })), {
      needs: ['base'],
      fix: async () => ({ steps: [actionStep('write', 'set upon', async () => void (uponSet = true))] }),
    });
    const pass = await runChecks([base, free, upon], ctx, { timeoutMs: 1000 });
    assert.deepEqual(runs, { base: 1, free: 1, upon: 0 }, "upon is skipped in the pass: its prerequisite fails");
    const outcomes = await runFixes([base, free, upon], ctx, { timeoutMs: 1000, known: new Map(pass.map((r) => [r.id, r])) });
    assert.deepEqual(
      outcomes.map((o) => [o.id, o.action]),
      [['base', 'fixed'], ['free', 'fixed'], ['upon', 'fixed']],
    );
    // base and free: no second look before the fix, one after it; upon: base was fixed, so it is looked at before and after
    assert.deepEqual(runs, { base: 2, free: 2, upon: 2 });
    assert.equal(outcomes[2].before.summary, 'unset', "upon's before is a fresh look, not the pass's 'needs base'");
  });

  it("looks again when a prerequisite's prerequisite was fixed (a pass result two levels down is stale too)", async () => {
    // The 1.18 tree in test/e2e/lines.test.ts: go-version improved, so go-modules (skipped in the pass) looks again and is
    // already ok; go-vendor, skipped in the pass for needing go-modules, must look again too, not report the pass's skip.
    let toolSet = false;
    const tool = check('tool', async () => (toolSet ? ok() : { status: 'fail', summary: 'missing' }), {
      fix: async () => ({ steps: [actionStep('install', 'install the tool', async () => void (toolSet = true))] }),
    });
    const mods = check('mods', async () => ok('complete'), { needs: ['tool'] });
    let vendored = false;
    const vendor = check('vendor', async () => (vendored ? ok() : { status: 'fail', summary: 'stale' }), {
      needs: ['mods'],
      fix: async () => ({ steps: [actionStep('write', 'vendor', async () => void (vendored = true))] }),
    });
    const pass = await runChecks([tool, mods, vendor], ctx, { timeoutMs: 1000 });
    assert.deepEqual(
      pass.map((r) => [r.id, r.status]),
      [['tool', 'fail'], ['mods', 'skip'], ['vendor', 'skip']],
    );
    const outcomes = await runFixes([tool, mods, vendor], ctx, { timeoutMs: 1000, known: new Map(pass.map((r) => [r.id, r])) });
    assert.deepEqual(
      outcomes.map((o) => [o.id, o.action]),
      [['tool', 'fixed'], ['mods', 'already-ok'], ['vendor', 'fixed']],
    );
    assert.equal(outcomes[2].before.summary, 'stale');
  });

  it('each outcome says how long its fix took, steps included', async () => {
    let set = false;
    const c = check('slow', async () => (set ? ok() : { status: 'fail', summary: 'unset' }), {
      fix: async () => ({ steps: [actionStep('write', 'set it, slowly', async () => void (await sleep(60), (set = true)))] }),
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o.action, 'fixed');
    assert.ok(typeof o.durationMs === 'number' && o.durationMs >= 55, `durationMs ${o.durationMs} covers the 60 ms step`);
  });

  it('reports the truth when the steps ran but the check still fails', async () => {
    const c = check('liar', async () => ({ status: 'fail', summary: 'still broken' }), {
      fix: async () => ({ steps: [actionStep('other', 'do nothing useful', async () => {})] }),
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o.action, 'still-failing');
    assert.equal(o.after?.summary, 'still broken');
  });

  it('dry run changes nothing and returns the plan', async () => {
    let ran = false;
    const c = check('d', async () => ({ status: 'fail', summary: 'no' }), {
      fix: async () => ({ steps: [actionStep('write', 'write /x', async () => void (ran = true)), execStep('echo', ['hi there'])] }),
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000, dryRun: true });
    assert.equal(o.action, 'planned');
    assert.equal(ran, false);
    assert.deepEqual(o.plan?.steps.map((s) => s.describe), ['write /x', "echo 'hi there'"]);
  });

  it('consent steps do not run without --yes or a confirmation; with --yes they run', async () => {
    let ran = 0;
    const c = check('needs-consent', async () => (ran > 0 ? ok() : { status: 'fail', summary: 'no' }), {
      fix: async () => ({ steps: [actionStep('exec', 'sudo apt-get install -y thing', async () => void ran++, true)] }),
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o.action, 'planned');
    assert.match(o.message ?? '', /--yes/);
    assert.equal(ran, 0);
    const [declined] = await runFixes([c], ctx, { timeoutMs: 1000, confirm: async () => false });
    assert.equal(declined.action, 'declined');
    assert.equal(ran, 0);
    const [yes] = await runFixes([c], ctx, { timeoutMs: 1000, yes: true });
    assert.equal(yes.action, 'fixed');
    assert.equal(ran, 1);
  });

  it('a fix whose prerequisite could not be fixed is skipped with the reason; unrelated fixes still run', async () => {
    let fixedOther = false;
    const base = check('base', async () => ({ status: 'fail', summary: 'no' }), { fix: async () => ({ steps: [manualStep('do it by hand')] }) });
    const dep = check('dep', async () => ({ status: 'fail', summary: 'no' }), { needs: ['base'], fix: async () => ({ steps: [actionStep('x', 'x', async () => {})] }) });
    const other = check('other', async () => (fixedOther ? ok() : { status: 'fail', summary: 'no' }), {
      fix: async () => ({ steps: [actionStep('x', 'fix other', async () => void (fixedOther = true))] }),
    });
    const outcomes = await runFixes([base, dep, other], ctx, { timeoutMs: 1000 });
    const by = Object.fromEntries(outcomes.map((o) => [o.id, o]));
    assert.equal(by.base.action, 'manual');
    assert.deepEqual(by.base.needsYou, ['do it by hand']);
    assert.equal(by.dep.action, 'skipped');
    assert.match(by.dep.message ?? '', /needs base, which could not be fixed/);
    assert.equal(by.other.action, 'fixed');
  });

  it('a failing step stops the plan and is reported with its error', async () => {
    const c = check('cmd', async () => ({ status: 'fail', summary: 'no' }), {
      fix: async () => ({ steps: [execStep('sh', ['-c', 'echo nope >&2; exit 3']), actionStep('x', 'never', async () => assert.fail('ran after a failed step'))] }),
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', /exited 3: nope/);
    assert.equal(o.suggestions, undefined, 'a plain error has nothing to suggest');
  });

  it("a failing step's (or plan's) suggestions reach the outcome (secrets redacted)", async () => {
    const env = { ...ctx.env, AUTH_HEADER: 'Authorization: Bearer tok3n-123456' };
    const c = check('sug', async () => ({ status: 'fail', summary: 'no' }), {
      fix: async () => ({
        steps: [
          actionStep('x', 'try', async () => {
            throw new DevenvError('the mirror did not answer', { suggestions: ['Set go.proxy in the devenv config', 'or send tok3n-123456 nowhere'] });
          }),
        ],
      }),
    });
    const [o] = await runFixes([c], { ...ctx, env }, { timeoutMs: 1000 });
    assert.equal(o.action, 'failed');
    assert.equal(o.suggestions?.[0], 'Set go.proxy in the devenv config');
    assert.doesNotMatch(o.suggestions?.join(' ') ?? '', /tok3n-123456/);
    // and from an error while planning
    const p = check('plan', async () => ({ status: 'fail', summary: 'no' }), {
      fix: async () => {
        throw new DevenvError('the index did not answer', { suggestions: ['Add a mirror for go.dev'] });
      },
    });
    const [po] = await runFixes([p], ctx, { timeoutMs: 1000 });
    assert.equal(po.message, 'could not plan the fix: the index did not answer');
    assert.deepEqual(po.suggestions, ['Add a mirror for go.dev']);
  });
});

describe('engine: bounded and honest (regressions)', () => {
  let ctx: Context;
  let cleanup: () => Promise<void>;
  before(async () => {
    const t = await tempEnv();
    cleanup = t.cleanup;
    ctx = await testContext({ env: t.env, dir: t.dir });
  });
  after(() => cleanup());

  it('appliesTo runs under the check timeout (a 3 s appliesTo against 300 ms)', async () => {
    const slow = check('slow', async () => ok(), { appliesTo: async (c) => (await sleep(3000, c.signal), true) });
    const t0 = Date.now();
    const [r] = await runChecks([slow], ctx, { timeoutMs: 300 });
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /slow: deciding whether it applies timed out after 0\.3s/);
  });

  it('a synchronous throw in appliesTo is a crash of that check; the run and its siblings go on', async () => {
    const boom = check('boom', async () => ok(), {
      appliesTo: () => {
        throw new Error('sync kaput');
      },
    });
    const [a, b] = await runChecks([boom, check('fine', async () => ok())], ctx, { timeoutMs: 1000 });
    assert.equal(a.status, 'fail');
    assert.equal(a.crashed, true);
    assert.match(a.summary, /boom: check crashed in appliesTo: sync kaput/);
    assert.equal(b.status, 'ok');
  });

  it('an async throw in appliesTo is a crash, not "applies" (the check does not run)', async () => {
    let ran = false;
    const boom = check('boom', async () => ((ran = true), ok()), { appliesTo: async () => Promise.reject(new Error('async kaput')) });
    const [a] = await runChecks([boom], ctx, { timeoutMs: 1000 });
    assert.equal(a.crashed, true);
    assert.equal(ran, false);
  });

  it('a DevenvError from a check is the machine\'s problem, not a crash', async () => {
    const r = await runOneCheck(check('x', async () => Promise.reject(new DevenvError('cannot read /x/go.mod: EACCES', { suggestions: ['chmod'] }))), ctx, 1000);
    assert.equal(r.status, 'fail');
    assert.equal(r.crashed, undefined);
    assert.equal(r.summary, 'cannot read /x/go.mod: EACCES');
  });

  it('a cycle in needs is found when checks are loaded, naming it', () => {
    const checks = [check('a', async () => ok(), { needs: ['b'] }), check('b', async () => ok(), { needs: ['c'] }), check('c', async () => ok(), { needs: ['a'] })];
    assert.throws(() => selectChecks(checks, {}), /cycle in their needs: a → b → c → a/);
  });

  it('a check whose fix throws is a crash in the outcome', async () => {
    const c = check('x', async () => ({ status: 'fail', summary: 'no' }), {
      fix: async () => {
        throw new TypeError('undefined is not a function');
      },
    });
    const [o] = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(o.action, 'failed');
    assert.equal(o.crashed, true);
    assert.equal(o.ok, false);
  });

  it('classification: fixed only when ok; fail → warn is improved; manual only plans nothing ran', () => {
    const r = (status: 'ok' | 'warn' | 'fail') => ({ id: 'x', status, summary: status, durationMs: 0 });
    assert.deepEqual(classifyFix({ before: r('fail'), after: r('ok'), ranSteps: 1 }), { action: 'fixed', ok: true });
    assert.deepEqual(classifyFix({ before: r('fail'), after: r('warn'), ranSteps: 1 }), { action: 'improved', ok: false });
    assert.deepEqual(classifyFix({ before: r('warn'), after: r('warn'), ranSteps: 1 }), { action: 'still-failing', ok: false });
    assert.deepEqual(classifyFix({ before: r('fail'), after: r('fail'), ranSteps: 0 }), { action: 'manual', ok: false });
    assert.deepEqual(classifyFix({ before: r('fail'), after: r('fail'), ranSteps: 1, failure: 'boom' }), { action: 'failed', ok: false });
  });

  // Regression: a warn counted as passing, so a fix whose re-check still warned was "fixed".
  it('a fix whose re-check still warns is not "fixed", and the summary says not ok', async () => {
    let state: 'fail' | 'warn' = 'fail';
    const c = check('x', async () => ({ status: state, summary: state }), { fix: async () => ({ steps: [actionStep('x', 'half', async () => void (state = 'warn')), manualStep('log out and back in')] }) });
    const outcomes = await runFixes([c], ctx, { timeoutMs: 1000 });
    assert.equal(outcomes[0].action, 'improved');
    assert.deepEqual(outcomes[0].needsYou, ['log out and back in']);
    const sum = summarizeFixes(outcomes);
    assert.equal(sum.ok, false);
    assert.deepEqual(sum.needsYou, [{ id: 'x', steps: ['log out and back in'] }]);
  });
});

describe('profiles', () => {
  it('"all" selects every check except opt-in ones, which run only when their profile is named (config or flag alike)', () => {
    const mk = (id: string, extra: Partial<Check> = {}) => ({ id, title: id, category: 'toolchain', description: id, run: async () => ({ status: 'ok', summary: '' }), ...extra }) as Check;
    const checks = [mk('a'), mk('b', { profiles: ['cluster'] }), mk('net', { profiles: ['network'], optIn: true })];
    assert.deepEqual(selectChecks(checks, { profiles: ['all'] }).map((c) => c.id), ['a', 'b']);
    assert.deepEqual(selectChecks(checks, { profiles: ['all', 'network'] }).map((c) => c.id), ['a', 'b', 'net']);
    assert.deepEqual(selectChecks(checks, { profiles: ['network'] }).map((c) => c.id), ['net']);
  });
});
