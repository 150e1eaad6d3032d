import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { humanReporter } from '../../src/engine/reporters/human.js';
import type { Check } from '../../src/engine/check.js';
import type { Output } from '../../src/engine/reporters/types.js';

/** A plain (non-TTY) output that records what was written. */
function plain(width: number | null = null): Output & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), isTTY: false, color: false, width, live: false };
}

describe('human reporter without a terminal', () => {
  it('every note is printed; download progress only every 10 % (or 5 s) and at the end', () => {
    const o = plain();
    const r = humanReporter(o);
    r.log('kubectl: from http://127.0.0.1:1/mirror/kubectl, sha256 published');
    for (let mib = 1; mib <= 40; mib++) r.log(`envoy debug: ${mib.toFixed(1)} MiB of 40.0 MiB, 3.1 MiB/s, 9s left`);
    const lines = o.err.join('').trim().split('\n');
    assert.equal(lines[0], 'kubectl: from http://127.0.0.1:1/mirror/kubectl, sha256 published');
    const progress = lines.filter((l) => l.startsWith('envoy debug:'));
    // the first line, one per 10 % step (4, 8, … 40 MiB) — never one per chunk
    assert.ok(progress.length >= 10 && progress.length <= 12, progress.join('\n'));
    assert.match(progress.at(-1)!, /40\.0 MiB of 40\.0 MiB/);
  });

  it('a transfer of unknown size is printed at most every 5 s', () => {
    const o = plain();
    const r = humanReporter(o, { progressEveryMs: 60_000 });
    for (let i = 1; i <= 50; i++) r.log(`helm: ${i}.0 MiB, 1.0 MiB/s`);
    assert.equal(o.err.join('').trim().split('\n').length, 1);
  });

  it('while a question is open, lines are kept back and printed after it, in order', () => {
    const o = plain();
    const r = humanReporter(o);
    r.hold();
    r.log('note one');
    r.log('note two');
    assert.deepEqual(o.err, []);
    r.release();
    assert.equal(o.err.join(''), 'note one\nnote two\n');
  });

  it('--quiet: progress is not printed, notes are', () => {
    const o = plain();
    const r = humanReporter(o, { quiet: true });
    r.log('envoy debug: 1.0 MiB of 40.0 MiB, 3.1 MiB/s');
    r.log('upstream gcr.io/distroless/static unavailable; using mirror cistio/distroless-static');
    assert.equal(o.err.join(''), 'upstream gcr.io/distroless/static unavailable; using mirror cistio/distroless-static\n');
  });
});

describe('human reporter: a slow check without a terminal', () => {
  it('says every few seconds which checks are still running, and stops when they end', async () => {
    const o = plain();
    const r = humanReporter(o, { progressEveryMs: 100 });
    const check: Check = { id: 'slow', title: 'Slow check', category: 'toolchain', description: 'x', run: async () => ({ status: 'ok', summary: 'ok' }) };
    r.onEvent({ type: 'check-start', check });
    await new Promise((res) => setTimeout(res, 350));
    r.onEvent({ type: 'check-end', check, result: { id: 'slow', status: 'ok', summary: 'ok', durationMs: 350 } });
    const n = o.err.join('').split('\n').filter((l) => l === '… still checking: Slow check').length;
    assert.ok(n >= 2 && n <= 4, o.err.join(''));
    await new Promise((res) => setTimeout(res, 250));
    assert.equal(o.err.join('').split('\n').filter(Boolean).length, n, 'lines after the check ended');
  });

  it('a clean run says "Ready to build" only when every build check ran; a selection says only that it passes', () => {
    const check: Check = { id: 'go-version', title: 'Go toolchain', category: 'toolchain', description: 'x', run: async () => ({ status: 'ok', summary: 'ok' }) };
    const results = [{ id: 'go-version', status: 'ok' as const, summary: 'go 1.19', durationMs: 1 }];
    const meta = { version: '0.0.0', root: '/x', project: null };
    const all = plain();
    humanReporter(all).doctor(meta, [check], results);
    assert.match(all.out.join(''), /1 ok, 0 warnings, 0 failed, 0 skipped\. Ready to build: make build\n$/);
    const some = plain();
    humanReporter(some).doctor({ ...meta, partial: '--only go-version: the other checks did not run' }, [check], results);
    assert.match(some.out.join(''), /1 ok, 0 warnings, 0 failed, 0 skipped\. The selected checks pass \(--only go-version: the other checks did not run\)\n$/);
    assert.doesNotMatch(some.out.join(''), /Ready to build/);
  });

  it("a failed fix's suggestions are printed as → lines under its error", () => {
    const check: Check = { id: 'sug', title: 'sug', category: 'toolchain', description: 'x', run: async () => ({ status: 'fail', summary: 'no' }) };
    const before = { id: 'sug', status: 'fail' as const, summary: 'no', durationMs: 1 };
    const o = plain();
    humanReporter(o).fix({ version: '0', root: null, project: null }, [check], [{ id: 'sug', action: 'failed', ok: false, before, after: before, message: 'the mirror did not answer', suggestions: ['Set go.proxy in the devenv config'] }], { dryRun: false, revert: false });
    assert.match(o.out.join(''), /failed:\n {4}the mirror did not answer\n {4}→ Set go\.proxy in the devenv config\n {4}re-check: no\n/);
  });
});
