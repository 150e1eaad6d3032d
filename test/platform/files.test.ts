import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyAtomic, extractMember } from '../../src/platform/files.js';
import { tempDir, rmrf } from '../helpers/env.js';
import { tgz } from '../helpers/tgz.js';

describe('extractMember: one member of a .tar.gz, streamed to its destination', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => rmrf(dir));

  const long = `usr/${'very-long-directory-name-'.repeat(6)}/bin/envoy`;
  for (const format of ['gnu', 'ustar', 'pax']) {
    it(`GNU tar --format=${format}: the member byte for byte, other members not written, mode set`, async () => {
      const big = randomBytes(3 * 1024 * 1024 + 17);
      const files: Record<string, Buffer | string> = { 'usr/local/bin/envoy': big, 'usr/local/bin/other': 'x', 'LICENSE': 'l' };
      if (format !== 'ustar') files[long] = 'long name';
      const archive = await tgz(dir, `a-${format}.tar.gz`, files, { format });
      const dest = path.join(dir, format, 'out', 'envoy');
      await extractMember(archive, 'usr/local/bin/envoy', dest);
      assert.deepEqual(await fs.readFile(dest), big);
      assert.equal((await fs.stat(dest)).mode & 0o777, 0o755);
      assert.deepEqual(await fs.readdir(path.dirname(dest)), ['envoy'], 'no temp file left, nothing else written');
      if (format !== 'ustar') {
        const longDest = path.join(dir, format, 'long');
        await extractMember(archive, long, longDest, 0o644);
        assert.equal(await fs.readFile(longDest, 'utf8'), 'long name');
      }
    });
  }

  it('members archived as ./usr/... match usr/...', async () => {
    const archive = await tgz(dir, 'dot.tar.gz', { 'usr/local/bin/envoy': 'dot' }, { dotSlash: true });
    const dest = path.join(dir, 'dot', 'envoy');
    await extractMember(archive, 'usr/local/bin/envoy', dest);
    assert.equal(await fs.readFile(dest, 'utf8'), 'dot');
  });

  it('a missing member: a clear error, and the destination is untouched', async () => {
    const archive = await tgz(dir, 'missing.tar.gz', { 'usr/local/bin/other': 'x' });
    const dest = path.join(dir, 'missing', 'envoy');
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, 'old');
    await assert.rejects(extractMember(archive, 'usr/local/bin/envoy', dest), /missing\.tar\.gz has no usr\/local\/bin\/envoy/);
    assert.equal(await fs.readFile(dest, 'utf8'), 'old');
    assert.deepEqual(await fs.readdir(path.dirname(dest)), ['envoy']);
  });

  it('a truncated archive fails and leaves nothing at the destination', async () => {
    const archive = await tgz(dir, 'whole.tar.gz', { 'usr/local/bin/envoy': randomBytes(1 << 20) });
    const cut = path.join(dir, 'cut.tar.gz');
    const bytes = await fs.readFile(archive);
    await fs.writeFile(cut, bytes.subarray(0, bytes.length >> 1));
    const dest = path.join(dir, 'cut', 'envoy');
    await assert.rejects(extractMember(cut, 'usr/local/bin/envoy', dest));
    assert.deepEqual(await fs.readdir(path.dirname(dest)), []);
  });

  it('not a gzip: an error, nothing placed', async () => {
    const bogus = path.join(dir, 'bogus.tar.gz');
    await fs.writeFile(bogus, 'not gzip at all');
    const dest = path.join(dir, 'bogus', 'envoy');
    await assert.rejects(extractMember(bogus, 'usr/local/bin/envoy', dest));
    await assert.rejects(fs.access(dest));
  });
});

describe('copyAtomic', () => {
  it('copies (a reflink where the filesystem can), sets the mode, and the copies stay independent', async () => {
    const dir = await tempDir();
    try {
      const src = path.join(dir, 'src');
      await fs.writeFile(src, 'original');
      const dest = path.join(dir, 'a', 'b', 'dest');
      await copyAtomic(src, dest, 0o755);
      assert.equal(await fs.readFile(dest, 'utf8'), 'original');
      assert.equal((await fs.stat(dest)).mode & 0o777, 0o755);
      await fs.writeFile(dest, 'changed');
      assert.equal(await fs.readFile(src, 'utf8'), 'original');
      assert.notEqual((await fs.stat(src)).ino, (await fs.stat(dest)).ino, 'not a hard link');
    } finally {
      await rmrf(dir);
    }
  });
});
