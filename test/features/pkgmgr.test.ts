import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installSteps } from '../../src/features/pkgmgr.js';
import { runCli, tempEnv, testContext } from '../helpers/env.js';

describe('package-manager layer', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let bin: string;
  before(async () => {
    t = await tempEnv();
    // A PATH with apt-get (and sudo, when there is one) but no ruby and no tar.
    bin = path.join(t.dir, 'bin');
    await fs.mkdir(bin);
    for (const tool of ['apt-get', 'sudo', 'env', 'sh']) {
      for (const dir of ['/usr/bin', '/bin', '/usr/sbin']) {
        try {
          await fs.symlink(path.join(dir, tool), path.join(bin, tool));
          break;
        } catch {
          // not there
        }
      }
    }
  });
  after(() => t.cleanup());

  it('apt-get: update then install, each needing consent; sudo only when not root', async () => {
    const root = await testContext({ env: { ...t.env, PATH: bin }, dir: t.dir, isRoot: true });
    const steps = await installSteps(root, 'ruby');
    assert.deepEqual(steps.map((s) => [s.describe, s.consent]), [['apt-get update', true], ['apt-get install -y ruby', true]]);
    const user = await testContext({ env: { ...t.env, PATH: bin }, dir: t.dir, isRoot: false });
    const hasSudo = await user.which('sudo');
    const us = await installSteps(user, 'gnu-tar');
    assert.deepEqual(us.map((s) => s.describe), hasSudo ? ['sudo apt-get update', 'sudo apt-get install -y tar'] : ['apt-get update', 'apt-get install -y tar']);
  });

  it('brew on macOS; a manual step when no package manager is found', async () => {
    const mac = await testContext({ env: { ...t.env, PATH: bin }, dir: t.dir, platform: 'darwin' });
    const none = await installSteps(mac, 'gnu-tar');
    assert.equal(none.length, 1);
    assert.equal(none[0].run, undefined);
    assert.match(none[0].describe, /install gnu-tar with your system's package manager/);
  });

  it('ruby and gnu-tar fixes: --dry-run prints the apt-get steps and changes nothing', async () => {
    const before = (await fs.readdir(t.dir, { recursive: true })).sort();
    const r = await runCli(['fix', 'ruby', 'gnu-tar', '--dry-run', '--json'], { env: { ...t.env, PATH: `${bin}` }, cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    const fixes = JSON.parse(r.stdout).fixes as { id: string; action: string; steps: { describe: string; consent: boolean }[] }[];
    const by = Object.fromEntries(fixes.map((f) => [f.id, f]));
    assert.equal(by.ruby.action, 'planned');
    assert.ok(by.ruby.steps.some((s) => /apt-get install -y ruby$/.test(s.describe) && s.consent));
    assert.ok(by['gnu-tar'].steps.some((s) => /apt-get install -y tar$/.test(s.describe)));
    assert.deepEqual((await fs.readdir(t.dir, { recursive: true })).sort(), before);
  });
});
