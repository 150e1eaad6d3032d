import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { streamStats } from '../../src/platform/gc.js';
import { FilesSink, SinkWriteError, TarGzMemberSink, type ByteSink } from '../../src/platform/sinks.js';
import { rmrf, tempDir } from '../helpers/env.js';
import { corruptGzip, tgz } from '../helpers/tgz.js';

/** Feeds `bytes` to the sink in pieces of `piece` bytes (odd sizes: headers and data split across writes). */
async function feed(sink: ByteSink, bytes: Buffer, piece: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += piece) await sink.write(bytes.subarray(at, at + piece));
}

describe('sinks: bytes written while they stream', () => {
  let dir: string;
  let n = 0;
  const next = () => path.join(dir, `case-${++n}`);
  before(async () => {
    dir = await tempDir('devenv-sinks-');
  });
  after(() => rmrf(dir));

  it('TarGzMemberSink counts what it inflates as streamed (gc.ts collects by it), not only what was downloaded', async () => {
    const d = next();
    const member = Buffer.alloc(3 * 1024 * 1024, 7); // compresses to a few KiB
    const archive = await fs.readFile(await tgz(d, 'c.tar.gz', { 'usr/local/bin/envoy': member }));
    assert.ok(archive.length < 100_000, `archive ${archive.length} bytes`);
    const sink = new TarGzMemberSink('usr/local/bin/envoy', [path.join(d, 'out')], 'c.tar.gz');
    const before = streamStats().bytes;
    await feed(sink, archive, 4096);
    await sink.end();
    assert.deepEqual(await fs.readFile(path.join(d, 'out')), member);
    // the sink counts its output (the tar stream: the member and its headers); the caller counts the download itself
    assert.ok(streamStats().bytes - before >= member.length, `counted ${streamStats().bytes - before} of ${member.length}`);
  });

  it('FilesSink: the same bytes into every file; reset empties them; abort removes them', async () => {
    const d = next();
    const paths = [path.join(d, 'a'), path.join(d, 'sub', 'b')];
    const sink = new FilesSink(paths);
    await sink.write(Buffer.from('stale'));
    await sink.reset();
    const data = randomBytes(300_000);
    await feed(sink, data, 65_537);
    await sink.end();
    for (const p of paths) assert.deepEqual(await fs.readFile(p), data);
    const gone = new FilesSink([path.join(d, 'c')]);
    await gone.write(Buffer.from('x'));
    await gone.abort();
    await assert.rejects(fs.access(path.join(d, 'c')));
  });

  it('FilesSink: a full disk (/dev/full) is a SinkWriteError naming ENOSPC, not a bad archive', async () => {
    const ok = path.join(next(), 'ok');
    const sink = new FilesSink([ok, '/dev/full']);
    const failure = (async () => {
      await feed(sink, randomBytes(1_000_000), 100_000); // several batches: the error shows at a later write or at end()
      await sink.end();
    })();
    await assert.rejects(failure, (err: Error) => err instanceof SinkWriteError && /^cannot write \/dev\/full: ENOSPC/.test(err.message));
    await sink.reset(); // closes; abort() would remove its paths, and /dev/full is not ours to remove
  });

  for (const format of ['gnu', 'ustar', 'pax']) {
    it(`TarGzMemberSink, GNU tar --format=${format}: the member into every output, whatever the piece size`, async () => {
      const d = next();
      const big = randomBytes(2 * 1024 * 1024 + 333);
      const archive = await fs.readFile(await tgz(d, 'a.tar.gz', { 'usr/local/bin/other': 'o'.repeat(700), 'usr/local/bin/envoy': big, 'LICENSE': 'l' }, { format }));
      for (const piece of [1, 511, 4096, 1 << 20]) {
        if (piece === 1 && archive.length > 64 * 1024) {
          // one byte at a time is slow on a 2 MiB archive: its first 64 KiB byte by byte, the rest in 1 MiB pieces
          const outs = [path.join(d, `p1-a`), path.join(d, `p1-b`)];
          const sink = new TarGzMemberSink('usr/local/bin/envoy', outs, 'a.tar.gz');
          await feed(sink, archive.subarray(0, 64 * 1024), 1);
          await feed(sink, archive.subarray(64 * 1024), 1 << 20);
          await sink.end();
          for (const o of outs) assert.deepEqual(await fs.readFile(o), big);
          continue;
        }
        const outs = [path.join(d, `p${piece}-a`), path.join(d, `p${piece}-b`), path.join(d, `p${piece}-c`)];
        const sink = new TarGzMemberSink('./usr/local/bin/envoy', outs, 'a.tar.gz');
        await feed(sink, archive, piece);
        await sink.end();
        for (const o of outs) assert.deepEqual(await fs.readFile(o), big, `${o} (pieces of ${piece})`);
      }
    });
  }

  it('TarGzMemberSink: long member names (GNU L entries, pax path records) and members archived as ./usr/...', async () => {
    const d = next();
    const long = `usr/${'very-long-directory-name-'.repeat(6)}/bin/envoy`;
    for (const format of ['gnu', 'pax']) {
      const archive = await fs.readFile(await tgz(d, `l-${format}.tar.gz`, { 'usr/local/bin/envoy': 'short', [long]: 'long name', 'LICENSE': 'l' }, { format }));
      const out = path.join(d, `long-${format}`);
      const sink = new TarGzMemberSink(long, [out], `l-${format}.tar.gz`);
      await feed(sink, archive, 4096);
      await sink.end();
      assert.equal(await fs.readFile(out, 'utf8'), 'long name', format);
    }
    const dotted = await fs.readFile(await tgz(d, 'dot.tar.gz', { 'usr/local/bin/envoy': 'dot' }, { dotSlash: true }));
    const out = path.join(d, 'dot');
    const sink = new TarGzMemberSink('usr/local/bin/envoy', [out], 'dot.tar.gz');
    await feed(sink, dotted, 4096);
    await sink.end();
    assert.equal(await fs.readFile(out, 'utf8'), 'dot');
  });

  it('TarGzMemberSink: not gzip at all fails naming the archive; abort leaves nothing', async () => {
    const d = next();
    const out = path.join(d, 'envoy');
    const sink = new TarGzMemberSink('usr/local/bin/envoy', [out], 'bogus.tar.gz');
    await assert.rejects(
      (async () => {
        await sink.write(Buffer.from('not gzip at all'));
        await sink.end();
      })(),
      /cannot extract bogus\.tar\.gz: its gzip data is corrupt/,
    );
    await sink.abort();
    await assert.rejects(fs.access(out));
  });

  it('TarGzMemberSink: reset starts over (a transfer that restarted from byte 0)', async () => {
    const d = next();
    const big = randomBytes(1024 * 1024);
    const archive = await fs.readFile(await tgz(d, 'r.tar.gz', { 'usr/local/bin/envoy': big }));
    const out = path.join(d, 'out');
    const sink = new TarGzMemberSink('usr/local/bin/envoy', [out], 'r.tar.gz');
    await feed(sink, archive.subarray(0, archive.length >> 1), 10_000);
    await sink.reset();
    await feed(sink, archive, 70_000);
    await sink.end();
    assert.deepEqual(await fs.readFile(out), big);
  });

  it('TarGzMemberSink: a missing member, a truncated archive, corrupt gzip data, gzip of something not tar: end() or write() fails, naming the archive', async () => {
    const d = next();
    const archive = await fs.readFile(await tgz(d, 'm.tar.gz', { 'usr/local/bin/other': randomBytes(200_000) }));
    const missing = new TarGzMemberSink('usr/local/bin/envoy', [path.join(d, 'x')], 'm.tar.gz');
    await feed(missing, archive, 50_000);
    await assert.rejects(missing.end(), /m\.tar\.gz has no usr\/local\/bin\/envoy/);
    await missing.abort();
    await assert.rejects(fs.access(path.join(d, 'x')));

    const withEnvoy = await fs.readFile(await tgz(d, 't.tar.gz', { 'usr/local/bin/envoy': randomBytes(500_000) }));
    const cut = new TarGzMemberSink('usr/local/bin/envoy', [path.join(d, 'y')], 't.tar.gz');
    await feed(cut, withEnvoy.subarray(0, withEnvoy.length - 5000), 50_000);
    await assert.rejects(cut.end(), /cannot extract t\.tar\.gz: (it ends early \(truncated gzip data\)|it ends in the middle of an entry)/);
    await cut.abort();

    const bogus = corruptGzip(withEnvoy);
    const bad = new TarGzMemberSink('usr/local/bin/envoy', [path.join(d, 'z')], 'b.tar.gz');
    await assert.rejects(
      (async () => {
        await feed(bad, bogus, 50_000);
        await bad.end();
      })(),
      /cannot extract b\.tar\.gz: its gzip data is corrupt/,
    );
    await bad.abort();
    await assert.rejects(fs.access(path.join(d, 'z')));

    const notTar = gzipSync(Buffer.concat([Buffer.from('x'.repeat(124)), Buffer.from('zzzzzzzzzzz\0'), Buffer.alloc(376, 0x41)]));
    const junk = new TarGzMemberSink('usr/local/bin/envoy', [path.join(d, 'j')], 'j.tar.gz');
    await assert.rejects(
      (async () => {
        await junk.write(notTar);
        await junk.end();
      })(),
      /cannot extract j\.tar\.gz: it is not a tar archive \(bad size field\)/,
    );
    await junk.abort();
  });
});
