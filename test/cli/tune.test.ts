/**
 * The run's V8 flags (src/cli/tune.ts): set for the long commands only, and
 * only after their bundle has been compiled with its code cache. A preload
 * (NODE_OPTIONS --require) reports every bundle compiled with a cache and every
 * flag devenv sets, in order, on stderr.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_V8_FLAGS } from '../../src/cli/tune.js';
import { requireReal } from '../helpers/daemons.js';
import { repoRoot, runCli, tempEnv } from '../helpers/env.js';

const PROBE = `'use strict';
const fs = require('node:fs');
const vm = require('node:vm');
const v8 = require('node:v8');
const Script = vm.Script;
vm.Script = class extends Script {
  constructor(code, o) {
    super(code, o);
    if (o && o.cachedData) fs.writeSync(2, 'PROBE cache ' + require('node:path').basename(o.filename) + ' ' + (this.cachedDataRejected ? 'rejected' : 'accepted') + '\\n');
  }
};
const set = v8.setFlagsFromString;
v8.setFlagsFromString = (f) => {
  fs.writeSync(2, 'PROBE flag ' + f + '\\n');
  return set(f);
};
`;

describe('V8 flags for a run', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let env: Record<string, string | undefined>;
  let empty: string;
  before(async () => {
    t = await tempEnv();
    const probe = path.join(t.dir, 'probe.cjs');
    await fs.writeFile(probe, PROBE);
    empty = path.join(t.dir, 'empty');
    await fs.mkdir(empty);
    env = { ...t.env, NODE_OPTIONS: `--require ${probe}`, DOCKER_HOST: `unix://${path.join(t.dir, 'no-docker.sock')}` };
  });
  after(() => t.cleanup());

  const probes = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('PROBE ')).map((l) => l.slice(6));

  it('doctor and fix: set after their bundle was compiled with its code cache, which V8 accepted', async (t2) => {
    if (!requireReal(t2, 'dist/ (npm run build)', await fs.stat(path.join(repoRoot, 'dist/cmd-doctor.cjs')).catch(() => undefined))) return;
    for (const [args, bundle] of [[['doctor', '--json', '--dir', empty], 'cmd-doctor.cjs'], [['fix', 'hub-tag', '--dir', empty, '--dry-run'], 'cmd-fix.cjs']] as const) {
      const r = await runCli([...args], { env, cwd: empty });
      const lines = probes(r.stderr);
      assert.deepEqual(lines, ['cache core.cjs accepted', 'cache commands.cjs accepted', `cache ${bundle} accepted`, ...RUN_V8_FLAGS.map((f) => `flag ${f}`)], `${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('a library a long command loads (a YAML config: yaml, then zod) comes after the flags, with a code cache made under them', async (t2) => {
    if (!requireReal(t2, 'dist/ (npm run build)', await fs.stat(path.join(repoRoot, 'dist/lib-zod.cjs')).catch(() => undefined))) return;
    const cfg = path.join(t.dir, 'devenv.yaml');
    await fs.writeFile(cfg, 'prefer: mirror\n');
    const r = await runCli(['doctor', '--json', '--dir', empty], { env: { ...env, DEVENV_CONFIG: cfg }, cwd: empty });
    const lines = probes(r.stderr);
    assert.deepEqual(lines.slice(0, 3 + RUN_V8_FLAGS.length), ['cache core.cjs accepted', 'cache commands.cjs accepted', 'cache cmd-doctor.cjs accepted', ...RUN_V8_FLAGS.map((f) => `flag ${f}`)], r.stderr);
    const libs = lines.slice(3 + RUN_V8_FLAGS.length);
    assert.ok(libs.includes('cache lib-yaml.cjs accepted') && libs.includes('cache lib-zod.cjs accepted'), r.stderr);
    assert.deepEqual(libs.filter((l) => !/^cache lib-[a-z-]+\.cjs accepted$/.test(l)), [], r.stderr);
    assert.ok(JSON.parse(r.stdout).config.files.includes(cfg), r.stdout.slice(0, 500));
  });

  it('other commands: no flags', async (t2) => {
    if (!requireReal(t2, 'dist/ (npm run build)', await fs.stat(path.join(repoRoot, 'dist/cmd-shellenv.cjs')).catch(() => undefined))) return;
    for (const args of [['shellenv', '--dir', empty], ['--help'], ['checks', '--json']]) {
      const r = await runCli(args, { env, cwd: empty });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(probes(r.stderr).filter((l) => l.startsWith('flag ')), [], args.join(' '));
      assert.deepEqual(probes(r.stderr).filter((l) => !l.endsWith(' accepted') && l.startsWith('cache ')), [], args.join(' '));
    }
  });
});
