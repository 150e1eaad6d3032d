import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { copyAtomic } from '../../src/platform/files.js';
import { tempDir, rmrf } from '../helpers/env.js';

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
