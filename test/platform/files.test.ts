import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { copyAtomic, notAProgram } from '../../src/platform/files.js';
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

describe('notAProgram', () => {
  it('lets ELF, Mach-O and #! files through, and says what anything else starts with', async () => {
    const dir = await tempDir('devenv-program-');
    try {
      const cases: [string, Buffer, string | undefined][] = [
        ['real binary', await fs.readFile(process.execPath).then((b) => b.subarray(0, 64)), undefined],
        ['mach-o 64', Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), undefined],
        ['universal', Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), undefined],
        ['script', Buffer.from('#!/bin/sh\necho kubectl\n'), undefined],
        ['html', Buffer.from('<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>'), 'it starts with "<!DOCTYPE html><"'],
        ['shell text', Buffer.from('rm -rf "$HOME"\n'), 'it starts with "rm -rf \\"$HOME\\"\\x0a"'],
        ['binary junk', Buffer.from([0, 0x5c, 0xff]), 'it starts with "\\x00\\x5c\\xff"'],
        ['empty', Buffer.alloc(0), 'it is empty'],
      ];
      for (const [name, bytes, want] of cases) {
        const f = path.join(dir, name);
        await fs.writeFile(f, bytes);
        assert.equal(await notAProgram(f), want, name);
      }
    } finally {
      await rmrf(dir);
    }
  });
});
