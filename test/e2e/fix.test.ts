import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { istioFixture, runCli, tempEnv } from '../helpers/env.js';

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string) {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = await fs.lstat(p);
      out.push(`${path.relative(dir, p)} ${st.size} ${st.mode}`);
      if (e.isDirectory()) await walk(p);
    }
  }
  await walk(dir);
  return out.sort();
}

describe('devenv fix (end to end)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('without ids or --all and without a terminal: exit 2 with what to type', async () => {
    const r = await runCli(['fix'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /name the checks to fix, or pass --all/);
    assert.match(r.stderr, /devenv fix --all --dry-run/);
  });

  it('unknown id: exit 2', async () => {
    const r = await runCli(['fix', 'gov-ersion'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown check id: gov-ersion/);
  });

  it('ids and --all together: exit 2', async () => {
    const r = await runCli(['fix', 'go-version', '--all'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
  });

  it('--revert of a check that keeps no backup: exit 2', async () => {
    const r = await runCli(['fix', '--revert', 'gnu-tar'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing to revert for: gnu-tar/);
  });

  it('--dry-run prints the exact plan, changes nothing, and --json reports it', async () => {
    const root = await istioFixture(path.join(t.dir, 'istio'), { go: '1.99.0' });
    const before = [...(await listing(t.dir))];
    const human = await runCli(['fix', 'go-version', '--dry-run', '--dir', root], { env: t.env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /would fix/);
    assert.match(human.stdout, /^\s+1\. /m);
    assert.match(human.stdout, /Dry run: nothing was changed/);
    const json = await runCli(['fix', 'go-version', '--dry-run', '--json', '--dir', root], { env: t.env });
    const j = JSON.parse(json.stdout);
    assert.equal(j.dryRun, true);
    const f = j.fixes.find((x: { id: string }) => x.id === 'go-version');
    assert.equal(f.action, 'planned');
    assert.ok(f.steps.length > 0);
    for (const s of f.steps) assert.equal(typeof s.describe, 'string');
    assert.equal(f.before.status, 'fail');
    assert.deepEqual(await listing(t.dir), before, 'dry run changed files');
  });

  it('a fix of a check that already passes is a no-op, exit 0', async () => {
    const root = await istioFixture(path.join(t.dir, 'fine'), { go: '1.1' });
    const r = await runCli(['fix', 'gnu-tar', 'go-version', '--json', '--dir', root], { env: t.env });
    const j = JSON.parse(r.stdout);
    for (const f of j.fixes) assert.equal(f.action, 'already-ok', JSON.stringify(f));
    assert.equal(r.code, 0);
  });

  it('an explicit --config that does not exist is named, exit 2', async () => {
    const root = await istioFixture(path.join(t.dir, 'all'), { go: '1.1' });
    const r = await runCli(['fix', '--all', '--dry-run', '--json', '--dir', root, '--config', path.join(root, 'cfg.json')], { env: t.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cfg\.json: file not found/);
  });
});
