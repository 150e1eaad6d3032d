import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asUnprivileged, checkFrom, istioFixture, runCli, runCliAs, tempEnv } from '../helpers/env.js';

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, `stack trace in output:\n${s}`);

describe('devenv doctor (end to end)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('--json in an Istio-shaped checkout: schema, requirement and its source, exit code from the real go', async () => {
    const root = await istioFixture(path.join(t.dir, 'istio'), { go: '1.13', goVersionRequired: '1.10', version: '1.4-dev' });
    const sub = path.join(root, 'pilot', 'pkg');
    await fs.mkdir(sub, { recursive: true });
    const r = await runCli(['doctor', '--json', '--only', 'go-version,gnu-tar', '--dir', sub], { env: t.env });
    const j = JSON.parse(r.stdout);
    assert.equal(j.root, root, 'the checkout root is found from a subdirectory');
    assert.deepEqual(j.project, { kind: 'istio', version: '1.4-dev' });
    assert.match(j.devenv, /^\d+\.\d+\.\d+/);
    assert.deepEqual(Object.keys(j.summary).sort(), ['fail', 'ok', 'skip', 'warn']);
    const go = checkFrom(r.stdout, 'go-version');
    for (const k of ['id', 'title', 'category', 'status', 'summary', 'found', 'required', 'source', 'fixable', 'hint', 'durationMs']) assert.ok(k in go, `missing ${k}`);
    assert.equal(go.required, '>= 1.13');
    assert.equal(go.source, 'go.mod:3');
    assert.equal(r.code, go.status === 'fail' ? 1 : 0);
    assert.equal(r.stderr, '', 'nothing else is printed with --json');
  });

  it('exit 1 when the checkout needs a newer Go than the machine has', async () => {
    const root = await istioFixture(path.join(t.dir, 'future'), { go: '1.99.0' });
    const r = await runCli(['doctor', '--json', '--only', 'go-version', '--dir', root], { env: t.env });
    assert.equal(checkFrom(r.stdout, 'go-version').status, 'fail');
    assert.equal(r.code, 1);
  });

  it('human output: one line per check, grouped, with a summary that names the next command', async () => {
    const root = await istioFixture(path.join(t.dir, 'human'), { go: '1.99.0' });
    const r = await runCli(['doctor', '--only', 'go-version,gnu-tar', '--dir', root], { env: t.env });
    assert.match(r.stdout, /^Toolchain$/m);
    // found vs required on the check's line; where the requirement was read, and the hint, under it (only when not ok).
    assert.match(r.stdout, /✗ Go toolchain \[go-version\]: \S+ \(requires >= 1\.99\.0\)\n.*\n\s+from go\.mod:3\n\s+→ /);
    assert.match(r.stdout, /✓ GNU tar \[gnu-tar\]/);
    assert.match(r.stdout, /1 ok, 0 warnings, 1 failed, 0 skipped\. Next: devenv fix go-version/);
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour codes without a TTY');
  });

  it('outside a checkout: root null, go-version ok', async () => {
    const r = await runCli(['doctor', '--json', '--only', 'go-version', '--dir', t.dir], { env: t.env });
    const j = JSON.parse(r.stdout);
    assert.equal(j.root, null);
    assert.equal(j.project, null);
  });

  it('unknown check id: exit 2, clear message, no stack trace', async () => {
    const r = await runCli(['doctor', '--only', 'go-versoin'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown check id: go-versoin\. Did you mean go-version\?/);
    assert.match(r.stderr, /Known checks: .*go-version/);
    noStack(r.stderr);
  });

  it('unknown flag and bad flag value: exit 2', async () => {
    const a = await runCli(['doctor', '--frobnicate'], { env: t.env, cwd: t.dir });
    assert.equal(a.code, 2);
    assert.match(a.stderr, /Nonexistent flag: --frobnicate/);
    const b = await runCli(['doctor', '--timeout', 'soon'], { env: t.env, cwd: t.dir });
    assert.equal(b.code, 2);
    noStack(a.stderr + b.stderr);
  });

  it('malformed config: exit 2 naming the file and line', async () => {
    const root = await istioFixture(path.join(t.dir, 'badcfg'), { files: { '.devenvrc.json': '{\n  "prefer": "mirror",\n  "checks": {"timeoutMs": 5,}\n}\n' } });
    const r = await runCli(['doctor', '--dir', root], { env: t.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\.devenvrc\.json:3: invalid JSON/);
    noStack(r.stderr);
  });

  it('config with an unknown key: exit 2 naming the key', async () => {
    const cfg = path.join(t.dir, 'unknown.yaml');
    await fs.writeFile(cfg, 'mirrors:\n  images: {}\n  registry: foo\n');
    const r = await runCli(['doctor', '--config', cfg], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown\.yaml: mirrors\.registry: unknown key/);
    const viaEnv = await runCli(['doctor'], { env: { ...t.env, DEVENV_CONFIG: cfg }, cwd: t.dir });
    assert.equal(viaEnv.code, 2);
    assert.match(viaEnv.stderr, /mirrors\.registry: unknown key/);
  });

  it('go.mod without a go directive: a warning that says so, exit 0', async () => {
    const root = await istioFixture(path.join(t.dir, 'nogo'), { go: null, goVersionRequired: null });
    const r = await runCli(['doctor', '--json', '--only', 'go-version', '--dir', root], { env: t.env });
    const c = checkFrom(r.stdout, 'go-version');
    assert.equal(c.status, 'warn');
    assert.match(String(c.summary), /go\.mod declares no go directive/);
    assert.equal(r.code, 0);
  });

  it('unreadable or missing --dir: exit 2 with the path named', async () => {
    const missing = await runCli(['doctor', '--dir', path.join(t.dir, 'nope')], { env: t.env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope: no such directory/);
    const locked = path.join(t.dir, 'locked');
    await fs.mkdir(locked);
    await fs.chmod(locked, 0o000);
    try {
      const r = await runCliAs(asUnprivileged(), ['doctor', '--dir', locked], { env: t.env, cwd: t.dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /locked: (directory is not readable|cannot access)/);
      noStack(r.stderr);
    } finally {
      await fs.chmod(locked, 0o755);
    }
  });

  it('checks lists every check with what its fix does', async () => {
    const r = await runCli(['checks', '--json'], { env: t.env, cwd: t.dir });
    const list = JSON.parse(r.stdout) as { id: string; verifies: string }[];
    for (const id of ['go-version', 'docker-daemon', 'gnu-tar']) assert.ok(list.some((c) => c.id === id && c.verifies.length > 10), id);
    assert.equal(r.code, 0);
  });

  it('--version and --help work', async () => {
    const v = await runCli(['--version'], { env: t.env, cwd: t.dir });
    assert.match(v.stdout, /^devenv\/\d+\.\d+\.\d+/);
    const h = await runCli(['doctor', '--help'], { env: t.env, cwd: t.dir });
    assert.match(h.stdout, /EXAMPLES/);
    assert.match(h.stdout, /--only/);
  });
});
