import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { BATCH_BYTES, Batcher, StreamHash, sharedBuffer, writeToAll } from '../../src/platform/writer.js';
import { rmrf, tempDir } from '../helpers/env.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('writer: file writes on the writer thread', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir('devenv-writer-');
  });
  after(() => rmrf(dir));

  it('writes every batch to every file, in the order the calls were made, shared or not', async () => {
    const names = ['a', 'b', 'c'].map((n) => path.join(dir, `order-${n}`));
    const handles = await Promise.all(names.map((n) => fs.open(n, 'w')));
    const fds = handles.map((h) => h.fd);
    const parts = [randomBytes(100_000), randomBytes(BATCH_BYTES), randomBytes(7), randomBytes(70_001)];
    const shared = parts.map((p) => {
      const b = sharedBuffer(p.length);
      p.copy(b);
      return b;
    });
    // all four in flight at once (three through the thread, one written here): the order must hold anyway
    await Promise.all([writeToAll(fds, shared[0]), writeToAll(fds, shared[1]), writeToAll(fds, parts[2]), writeToAll(fds, shared[3])]);
    await Promise.all(handles.map((h) => h.close()));
    const want = Buffer.concat(parts);
    for (const n of names) assert.ok((await fs.readFile(n)).equals(want), `${n} holds every part in order`);
  });

  it('StreamHash: the sha256 of what was written with it, batch by batch, with or without files; two streams at once stay apart', async () => {
    const file = path.join(dir, 'hashed');
    const h = await fs.open(file, 'w');
    const [a, b] = [new StreamHash(), new StreamHash()];
    const partsA = [randomBytes(BATCH_BYTES), randomBytes(12_345), randomBytes(BATCH_BYTES + 1)];
    const partsB = [randomBytes(99), randomBytes(BATCH_BYTES)];
    const shared = (p: Buffer) => {
      const s = sharedBuffer(p.length);
      p.copy(s);
      return s;
    };
    await Promise.all([
      ...partsA.map((p) => writeToAll([h.fd], shared(p), a)),
      ...partsB.map((p) => writeToAll([], p, b)), // no file: hashed only
    ]);
    const sha = (parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');
    assert.equal(await a.digest(), sha(partsA));
    assert.equal(await b.digest(), sha(partsB));
    assert.equal(await new StreamHash().digest(), sha([]), 'nothing written: the hash of nothing');
    await h.close();
    assert.ok((await fs.readFile(file)).equals(Buffer.concat(partsA)));
  });

  it('a failing write rejects with the system error (ENOSPC on /dev/full), and the next write still works', async () => {
    const full = await fs.open('/dev/full', 'w');
    const ok = await fs.open(path.join(dir, 'after-full'), 'w');
    try {
      const data = sharedBuffer(4096).fill(1);
      await assert.rejects(writeToAll([full.fd], data), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC' && err.syscall === 'write');
      await assert.rejects(writeToAll([full.fd], Buffer.alloc(10)), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC'); // here too
      await writeToAll([ok.fd], data);
    } finally {
      await full.close();
      await ok.close();
    }
    assert.equal((await fs.stat(path.join(dir, 'after-full'))).size, 4096);
  });

  it('Batcher: odd chunk sizes come out whole and in order; a write error surfaces at finish()', async () => {
    const file = path.join(dir, 'batched');
    const h = await fs.open(file, 'w');
    const b = new Batcher((buf) => writeToAll([h.fd], buf));
    const chunks = [3, 0, 65_536, BATCH_BYTES - 1, 2, BATCH_BYTES * 2 + 5, 0, 1].map((n) => randomBytes(n));
    for (const c of chunks) await b.add(c);
    await b.finish();
    await h.close();
    assert.ok((await fs.readFile(file)).equals(Buffer.concat(chunks)));

    const full = await fs.open('/dev/full', 'w');
    const failing = new Batcher((buf) => writeToAll([full.fd], buf));
    await failing.add(randomBytes(1000));
    await assert.rejects(failing.finish(), /ENOSPC|no space/i);
    await failing.settle(); // waits, never throws
    await full.close();
  });

  it('Batcher.add: nothing to await while a piece fits, a promise when it fills the batch; the piece is copied at once either way', async () => {
    const file = path.join(dir, 'reused');
    const h = await fs.open(file, 'w');
    const b = new Batcher((buf) => writeToAll([h.fd], buf));
    const piece = Buffer.alloc(64 * 1024); // one buffer, refilled after every add(), as feedFile reads into one
    const expected: Buffer[] = [];
    const results: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 9; i++) {
      piece.fill(i + 1);
      expected.push(Buffer.from(piece));
      const r = b.add(piece);
      results.push(r);
      if (r) await r;
    }
    await b.finish();
    await h.close();
    // 64 KiB pieces into 256 KiB batches: the 4th and the 8th fill one
    assert.deepEqual(
      results.map((r) => (r === undefined ? 'fits' : 'fills')),
      ['fits', 'fits', 'fits', 'fills', 'fits', 'fits', 'fits', 'fills', 'fits'],
    );
    assert.ok((await fs.readFile(file)).equals(Buffer.concat(expected)));
  });

  it('a pending write keeps the process alive, and an idle writer does not keep it running', async () => {
    const out = path.join(dir, 'alive');
    const script = [
      `import { sharedBuffer, writeToAll } from ${JSON.stringify(path.join(repo, 'src/platform/writer.ts'))};`,
      `import fs from 'node:fs';`,
      `const fd = fs.openSync(${JSON.stringify(out)}, 'w');`,
      // nothing else is pending: only the writer thread's answer can finish this
      `writeToAll([fd], sharedBuffer(1 << 20).fill(7)).then(() => { fs.closeSync(fd); process.stdout.write('written'); });`,
    ].join('\n');
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, timeout: 30_000 });
    assert.equal(stdout, 'written');
    assert.equal((await fs.stat(out)).size, 1 << 20);
    assert.ok(Date.now() - started < 30_000, 'the process ended on its own once the write was done');
  });
});
