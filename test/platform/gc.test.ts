import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const gcModule = path.join(repo, 'src/platform/gc.ts');

/** Runs `body` in a fresh node (through tsx) with `flags`, with the gc module imported as `g`; returns its stdout. */
function run(flags: string[], body: string): string {
  const script = `const g = await import(${JSON.stringify(gcModule)});\n${body}`;
  return execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
}

describe('gc: collections while streaming', () => {
  it('with --expose-gc, one young-generation collection per 4 MiB streamed, whatever the pieces', () => {
    const out = run(['--expose-gc'], `for (let i = 0; i < 40; i++) g.streamed(256 * 1024); g.streamed(3 * 1024 * 1024); console.log(JSON.stringify(g.streamStats()));`);
    // 10 MiB in 256 KiB pieces: collections at 4 and 8 MiB; then 2 + 3 = 5 MiB since: one more
    assert.deepEqual(JSON.parse(out), { bytes: 13 * 1024 * 1024, collections: 3 });
  });

  it('without --expose-gc (tests, short commands) it only counts', () => {
    const out = run([], `g.streamed(9 * 1024 * 1024); console.log(JSON.stringify(g.streamStats()));`);
    assert.deepEqual(JSON.parse(out), { bytes: 9 * 1024 * 1024, collections: 0 });
  });
});
