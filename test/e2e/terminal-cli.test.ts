/**
 * The conventions people expect of a CLI: -h/--help/help <command>,
 * --version/version, did-you-mean, shell completion, flag errors that say what
 * is allowed, the --json error object, doctor --fix, and a shellenv that runs
 * no probes from any directory.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireReal } from '../helpers/daemons.js';
import { binRun, istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { haveTmux, openTty } from '../helpers/tty.js';

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, `stack trace in output:\n${s}`);

describe('CLI conventions', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('-h, --help and help <command> print the same help; --version and version print the version', async () => {
    const a = await runCli(['doctor', '-h'], { env: t.env, cwd: t.dir });
    const b = await runCli(['doctor', '--help'], { env: t.env, cwd: t.dir });
    const c = await runCli(['help', 'doctor'], { env: t.env, cwd: t.dir });
    for (const r of [a, b, c]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /EXAMPLES/);
      assert.match(r.stdout, /--only=ID\[,ID\.\.\.\]/);
      assert.match(r.stdout, /--quiet/);
      assert.match(r.stdout, /--fix/);
    }
    assert.equal(a.stdout, b.stdout);
    const top = await runCli(['-h'], { env: t.env, cwd: t.dir });
    assert.match(top.stdout, /doctor\s+Check this machine/);
    assert.match(top.stdout, /autocomplete/);
    const v1 = await runCli(['--version'], { env: t.env, cwd: t.dir });
    const v2 = await runCli(['version'], { env: t.env, cwd: t.dir });
    assert.match(v1.stdout, /^devenv\/\d+\.\d+\.\d+/);
    assert.equal(v2.stdout.split(' ')[0], v1.stdout.split(' ')[0]);
    assert.equal(v2.code, 0);
  });

  it('an unknown command says so and where to look (exit 127, no stack); on a terminal it offers the closest one', async (tc) => {
    const r = await runCli(['doctr'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 127);
    assert.match(r.stderr, /doctr is not a devenv command/);
    assert.match(r.stderr, /devenv help/);
    noStack(r.stderr);
    if (!requireReal(tc, 'tmux', haveTmux())) return;
    const tty = await openTty({ width: 100, height: 20, env: { ...t.env, PS1: '$ ' }, cwd: t.dir });
    try {
      tty.type(`node ${binRun} doctr --only gnu-tar --quiet; echo "EXIT:$?"`);
      tty.keys('Enter');
      await tty.waitFor(/Did you mean doctor\?/);
      tty.type('y');
      tty.keys('Enter');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 60_000);
      assert.equal(code, '0', tty.history());
    } finally {
      await tty.close();
    }
  });

  it('flag errors say what is wrong and what is allowed (exit 2, no stack)', async () => {
    const zero = await runCli(['doctor', '--timeout', '0'], { env: t.env, cwd: t.dir });
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--timeout must be a whole number of seconds, 1 or more \(got "0"\)/);
    assert.doesNotMatch(zero.stderr, /Parsing --timeout/);
    const word = await runCli(['doctor', '--timeout', 'soon'], { env: t.env, cwd: t.dir });
    assert.match(word.stderr, /\(got "soon"\)/);
    const profile = await runCli(['doctor', '--profile', 'bogus'], { env: t.env, cwd: t.dir });
    assert.equal(profile.code, 2);
    assert.match(profile.stderr, /Expected --profile=bogus to be one of: build, cluster, pilot-local, all/);
    const both = await runCli(['doctor', '--quiet', '--verbose'], { env: t.env, cwd: t.dir });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--verbose=true cannot also be provided when using --quiet|cannot also be provided/);
    for (const r of [zero, word, profile, both]) noStack(r.stderr);
  });

  it('--json: usage, flag and config errors are one {"error": {message, code, suggestions}} object on stdout, same exit codes', async () => {
    const unknown = await runCli(['doctor', '--only', 'go-versoin', '--json'], { env: t.env, cwd: t.dir });
    assert.equal(unknown.code, 2);
    const e1 = JSON.parse(unknown.stdout).error;
    assert.match(e1.message, /unknown check id: go-versoin/);
    assert.equal(e1.code, 'usage');
    assert.ok(e1.suggestions.some((s: string) => /Known checks: .*go-version/.test(s)));
    const flag = await runCli(['doctor', '--timeout', '0', '--json'], { env: t.env, cwd: t.dir });
    assert.equal(flag.code, 2);
    assert.equal(JSON.parse(flag.stdout).error.code, 'usage');
    const cfg = path.join(t.dir, 'bad.yaml');
    await fs.writeFile(cfg, 'mirrors:\n  registry: foo\n');
    const config = await runCli(['fix', '--all', '--json', '--config', cfg], { env: t.env, cwd: t.dir });
    assert.equal(config.code, 2);
    const e3 = JSON.parse(config.stdout).error;
    assert.equal(e3.code, 'config');
    assert.match(e3.message, /bad\.yaml: mirrors\.registry: unknown key/);
    assert.deepEqual(Object.keys(e3).sort(), ['code', 'exitCode', 'message', 'suggestions']);
    for (const r of [unknown, flag, config]) assert.equal(r.stderr, '', 'nothing but the object');
  });

  it('doctor --fix: fixes what doctor found with the rules of fix (no terminal: consent steps only with --yes); --json is one object', async () => {
    const root = await istioFixture(path.join(t.dir, 'istio'), { go: '1.99.0' });
    const index = JSON.stringify([{ version: 'go1.99.1', stable: true, files: [] }]);
    const { startServer } = await import('../helpers/http.js');
    const server = await startServer({ '/dl/': index });
    try {
      await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ go: { downloadBase: `${server.url}/dl/` } }));
      const r = await runCli(['doctor', '--fix', '--only', 'go-version', '--dir', root], { env: t.env, timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /✗ Go toolchain \[go-version\]/, 'the doctor report comes first');
      assert.match(r.stdout, /Go toolchain \[go-version\]: failed/, 'then the fix outcome');
      assert.ok(server.log.some((l) => l.startsWith('GET /dl/')), 'the fix ran (it read the Go download index)');
      const j = await runCli(['doctor', '--fix', '--json', '--only', 'go-version', '--dir', root], { env: t.env, timeoutMs: 60_000 });
      const body = JSON.parse(j.stdout);
      assert.equal(body.checks[0].id, 'go-version');
      assert.equal(body.fix.fixes[0].id, 'go-version');
      assert.equal(body.fix.fixes[0].action, 'failed');
      assert.equal(j.code, 1);
      const yesWithoutFix = await runCli(['doctor', '--yes'], { env: t.env, cwd: t.dir });
      assert.equal(yesWithoutFix.code, 2);
    } finally {
      await server.close();
    }
  });

  it('shellenv runs no probe (no git, go, docker, ruby) and works from any directory', async () => {
    const root = await istioFixture(path.join(t.dir, 'gp', 'src', 'istio.io', 'istio'));
    const sub = path.join(root, 'pilot', 'pkg');
    await fs.mkdir(sub, { recursive: true });
    // Every tool a check would run logs that it was called.
    const bin = path.join(t.dir, 'spy-bin');
    const log = path.join(t.dir, 'spy.log');
    await fs.mkdir(bin, { recursive: true });
    for (const tool of ['git', 'go', 'docker', 'ruby', 'gem', 'fpm', 'tar', 'gtar', 'kubectl', 'sudo']) {
      await fs.writeFile(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\nexit 1\n`, { mode: 0o755 });
    }
    const env = { ...t.env, PATH: `${bin}:${t.env.PATH}`, SHELL: '/bin/bash' };
    const inSub = await runCli(['shellenv'], { env, cwd: sub });
    assert.equal(inSub.code, 0, inSub.stderr);
    assert.match(inSub.stdout, new RegExp(`export GOPATH='${path.join(t.dir, 'gp')}'`));
    const fromRoot = await runCli(['shellenv'], { env, cwd: '/' });
    assert.equal(fromRoot.code, 0, fromRoot.stderr);
    assert.doesNotMatch(fromRoot.stdout, /GOPATH/);
    const fromHome = await runCli(['shellenv', '--dir', sub], { env, cwd: t.env.HOME });
    assert.equal(fromHome.stdout, inSub.stdout);
    assert.equal(await fs.readFile(log, 'utf8').catch(() => ''), '', 'shellenv ran a probe');
  });

  it('completion: `devenv autocomplete bash` explains the setup, and bash completes a command name', async (tc) => {
    const r = await runCli(['autocomplete', 'bash'], { env: t.env, cwd: t.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /devenv autocomplete script bash/);
    if (!requireReal(tc, 'tmux', haveTmux())) return;
    const bin = path.join(t.dir, 'devenv-bin');
    await fs.mkdir(bin, { recursive: true });
    await fs.writeFile(path.join(bin, 'devenv'), `#!/bin/sh\nexec ${process.execPath} ${binRun} "$@"\n`, { mode: 0o755 });
    const tty = await openTty({ width: 100, height: 20, env: { ...t.env, PATH: `${bin}:${t.env.PATH}`, PS1: '$ ' }, cwd: t.dir });
    try {
      tty.type('eval "$(devenv autocomplete script bash)"; echo READY');
      tty.keys('Enter');
      await tty.waitFor(/^READY$/m, 30_000);
      tty.type('devenv doct');
      tty.keys('Tab');
      await tty.waitFor(/^\$ devenv doctor$/m, 30_000);
    } finally {
      await tty.close();
    }
  });
});
