import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { userGemBin } from '../../src/features/shellenv.js';
import { requireReal } from '../helpers/daemons.js';
import { tempEnv, testContext } from '../helpers/env.js';

describe('shellenv: the user gem bin dir, found without starting ruby', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('none when no gem dir exists', async () => {
    const ctx = await testContext({ env: t.env, dir: t.dir });
    assert.equal(await userGemBin(ctx), undefined);
  });

  it('the newest <XDG data>/gem/ruby/<ver>/bin, else ~/.gem/ruby/<ver>/bin; $GEM_HOME/bin wins', async () => {
    const xdg = path.join(t.env.XDG_DATA_HOME!, 'gem', 'ruby');
    const home = path.join(t.env.HOME!, '.gem', 'ruby');
    await fs.mkdir(path.join(home, '2.7.0', 'bin'), { recursive: true });
    assert.equal(await userGemBin(await testContext({ env: t.env, dir: t.dir })), path.join(home, '2.7.0', 'bin'));
    for (const v of ['2.7.0', '3.1.0', '3.10.0']) await fs.mkdir(path.join(xdg, v, 'bin'), { recursive: true });
    await fs.mkdir(path.join(xdg, '3.11.0')); // no bin: skipped
    assert.equal(await userGemBin(await testContext({ env: t.env, dir: t.dir })), path.join(xdg, '3.10.0', 'bin'));
    const gemHome = path.join(t.dir, 'gems');
    assert.equal(await userGemBin(await testContext({ env: { ...t.env, GEM_HOME: gemHome }, dir: t.dir })), path.join(gemHome, 'bin'));
  });

  it('agrees with the real ruby\'s Gem.user_dir once gem has made it', async (tc) => {
    let ruby: string | undefined;
    try {
      ruby = execFileSync('bash', ['--norc', '--noprofile', '-c', 'command -v ruby'], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      ruby = undefined;
    }
    if (!requireReal(tc, 'ruby', ruby)) return;
    const e = await tempEnv();
    try {
      const env = { ...e.env, GEM_HOME: undefined };
      const userDir = execFileSync(ruby!, ['-e', 'print Gem.user_dir'], { env: env as NodeJS.ProcessEnv, encoding: 'utf8' }).trim();
      await fs.mkdir(path.join(userDir, 'bin'), { recursive: true });
      assert.equal(await userGemBin(await testContext({ env, dir: e.dir })), path.join(userDir, 'bin'));
    } finally {
      await e.cleanup();
    }
  });
});
