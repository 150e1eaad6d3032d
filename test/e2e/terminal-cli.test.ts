/**
 * The conventions people expect of a CLI: -h/--help/help <command>,
 * --version/version, did-you-mean, shell completion, flag errors that say what
 * is allowed, the --json error object, doctor --fix, and a shellenv that runs
 * no probes from any directory.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireReal } from '../helpers/daemons.js';
import { binRun, istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { haveTmux, openTty } from '../helpers/tty.js';

/** `command -v` through a clean bash: is this shell installed? */
function have(tool: string): Promise<boolean> {
  return new Promise((resolve) => execFile('bash', ['--norc', '--noprofile', '-c', `command -v ${tool}`], (err) => resolve(!err)));
}

/** Runs a shell with a script; stdout, or the failure with stderr. */
function shell(cmd: string, args: string[], env: Record<string, string | undefined>): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv, timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

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
    // without a terminal the suggestion is printed, never asked
    assert.match(r.stderr, /^Did you mean doctor\?$/m);
    assert.match(r.stderr, /^ {2}devenv doctor$/m);
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
    assert.match(profile.stderr, /Expected --profile=bogus to be one of: build, cluster, pilot-local, network, all/);
    const both = await runCli(['doctor', '--quiet', '--verbose'], { env: t.env, cwd: t.dir });
    assert.equal(both.code, 2);
    assert.equal(both.stderr.split('\n')[0], 'Error: --quiet and --verbose cannot be used together', 'once per pair, in plain words');
    const empty = await runCli(['doctor', '--only', ''], { env: t.env, cwd: t.dir });
    assert.equal(empty.code, 2, 'an empty --only (an unset shell variable) is not "every check"');
    assert.match(empty.stderr, /^Error: --only needs at least one check id\n/);
    for (const r of [zero, word, profile, both, empty]) noStack(r.stderr);
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

  it('version: the same line as --version; --json and --verbose add the details, from nothing but the bundle', async () => {
    const v1 = await runCli(['--version'], { env: t.env, cwd: t.dir });
    const v2 = await runCli(['version'], { env: t.env, cwd: t.dir });
    assert.equal(v2.code, 0, v2.stderr);
    assert.equal(v2.stdout, v1.stdout);
    assert.equal(v2.stderr, '');
    const j = JSON.parse((await runCli(['version', '--json'], { env: t.env, cwd: t.dir })).stdout);
    assert.deepEqual(Object.keys(j), ['cliVersion', 'architecture', 'nodeVersion']);
    assert.equal(j.cliVersion, v1.stdout.split(' ')[0]);
    assert.equal(j.nodeVersion, `node-${process.version}`);
    const verbose = await runCli(['version', '--verbose'], { env: { ...t.env, SHELL: '/bin/zsh' }, cwd: t.dir });
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, /^shell +zsh$/m);
    assert.match(verbose.stdout, /^architecture +[a-z0-9]+-[a-z0-9_]+$/m);
  });

  it('help COMMAND...: a command of one or two words, a topic, or the list; an unknown one names the closest (exit 2)', async () => {
    const doctor = await runCli(['help', 'doctor'], { env: t.env, cwd: t.dir });
    assert.equal(doctor.code, 0, doctor.stderr);
    assert.equal(doctor.stdout, (await runCli(['doctor', '--help'], { env: t.env, cwd: t.dir })).stdout);
    const create = await runCli(['help', 'bundle', 'create'], { env: t.env, cwd: t.dir });
    assert.equal(create.code, 0, create.stderr);
    assert.equal(create.stdout, (await runCli(['bundle', 'create', '-h'], { env: t.env, cwd: t.dir })).stdout);
    assert.match(create.stdout, /\$ devenv bundle create /);
    const topic = await runCli(['help', 'bundle'], { env: t.env, cwd: t.dir });
    assert.match(topic.stdout, /bundle inspect/);
    const all = await runCli(['help'], { env: t.env, cwd: t.dir });
    assert.equal(all.stdout, (await runCli(['--help'], { env: t.env, cwd: t.dir })).stdout);
    for (const id of ['help', 'version', 'autocomplete']) assert.match(all.stdout, new RegExp(`^ {2}${id} +\\S`, 'm'));
    const bad = await runCli(['help', 'doctr'], { env: t.env, cwd: t.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /doctr is not a devenv command/);
    assert.match(bad.stderr, /^ {2}devenv help doctor$/m);
    noStack(bad.stderr);
  });

  it('did-you-mean: two-word commands and the arguments carry over; nothing close says only where to look; --json is one error object', async () => {
    const two = await runCli(['bundle', 'creat', '--gzip'], { env: t.env, cwd: t.dir });
    assert.equal(two.code, 127);
    assert.match(two.stderr, /^Error: bundle creat is not a devenv command\.$/m);
    assert.match(two.stderr, /^Did you mean bundle create\?$/m);
    assert.match(two.stderr, /^ {2}devenv bundle create --gzip$/m);
    const far = await runCli(['xyzzy'], { env: t.env, cwd: t.dir });
    assert.equal(far.code, 127);
    assert.doesNotMatch(far.stderr, /Did you mean/);
    assert.match(far.stderr, /^ {2}devenv help$/m);
    const json = await runCli(['doctr', '--only', 'gnu-tar', '--json'], { env: t.env, cwd: t.dir });
    assert.equal(json.code, 127);
    assert.equal(json.stderr, '', 'nothing on stderr with --json');
    assert.deepEqual(JSON.parse(json.stdout), {
      error: {
        message: 'doctr is not a devenv command.',
        code: 'not_found',
        suggestions: ['devenv doctor --only gnu-tar --json', 'devenv help'],
        exitCode: 127,
      },
    });
  });

  it('did-you-mean on a terminal under CI=true prints the suggestion and asks nothing (exit 127)', async (tc) => {
    if (!requireReal(tc, 'tmux', haveTmux())) return;
    const tty = await openTty({ width: 100, height: 20, env: { ...t.env, CI: 'true', PS1: '$ ' }, cwd: t.dir });
    try {
      tty.type(`node ${binRun} doctr; echo "EXIT:$?"`);
      tty.keys('Enter');
      const [, code] = await tty.waitFor(/EXIT:(\d+)/, 60_000);
      assert.equal(code, '127', tty.history());
      assert.match(tty.history(), /^Did you mean doctor\?$/m);
    } finally {
      await tty.close();
    }
  });

  it('completion scripts: bash completes commands, topics, flags and flag values; fish and zsh load and complete the same', async (tc) => {
    const bash = await runCli(['autocomplete', 'script', 'bash'], { env: t.env, cwd: t.dir });
    assert.equal(bash.code, 0, bash.stderr);
    const file = path.join(t.dir, 'devenv.bash');
    await fs.writeFile(file, bash.stdout);
    // bash's completion function called as readline would: COMP_WORDS up to the cursor
    const complete = async (...words: string[]) => {
      const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _devenv_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await shell('bash', ['--norc', '--noprofile', '-c', script], t.env)).split('\n').filter(Boolean);
    };
    assert.deepEqual(await complete('devenv', 'doct'), ['doctor']);
    assert.deepEqual(await complete('devenv', 'bundle', ''), ['create', 'inspect', 'load']);
    assert.deepEqual(await complete('devenv', 'help', 'bundle', 'cr'), ['create']);
    assert.ok((await complete('devenv', '')).includes('version'));
    assert.deepEqual(await complete('devenv', 'doctor', '--pro'), ['--profile']);
    assert.deepEqual(await complete('devenv', 'doctor', '--profile', ''), ['build', 'cluster', 'pilot-local', 'network', 'all']);
    assert.deepEqual(await complete('devenv', 'fix', '--dr'), ['--dry-run']);
    assert.deepEqual(await complete('devenv', 'doctor', '--dir', ''), [], 'a path: left to the default file completion');
    assert.deepEqual(await complete('devenv', 'shellenv', '--shell', 'f'), ['fish']);
    assert.deepEqual(await complete('devenv', 'autocomplete', ''), ['bash', 'zsh', 'fish']);

    if (requireReal(tc, 'fish', await have('fish'))) {
      const fish = await runCli(['autocomplete', 'script', 'fish'], { env: t.env, cwd: t.dir });
      assert.equal(fish.code, 0, fish.stderr);
      const ff = path.join(t.dir, 'devenv.fish');
      await fs.writeFile(ff, fish.stdout);
      const out = await shell('fish', ['--no-config', '-c', `source ${ff}; complete -C 'devenv doct'; echo ---; complete -C 'devenv bundle '; echo ---; complete -C 'devenv doctor --profile '; echo ---; complete -C 'devenv doctor --qu'`], t.env);
      const [doct, bundle, profile, quiet] = out.split('---\n').map((b) => b.split('\n').filter(Boolean).map((l) => l.split('\t')[0]));
      assert.deepEqual(doct, ['doctor']);
      assert.deepEqual(bundle, ['create', 'inspect', 'load']);
      assert.deepEqual(profile.sort(), ['all', 'build', 'cluster', 'network', 'pilot-local']);
      assert.deepEqual(quiet, ['--quiet']);
    }

    if (!requireReal(tc, 'zsh', await have('zsh')) || !requireReal(tc, 'tmux', haveTmux())) return;
    const bin = path.join(t.dir, 'devenv-bin-zsh');
    await fs.mkdir(bin, { recursive: true });
    await fs.writeFile(path.join(bin, 'devenv'), `#!/bin/sh\nexec ${process.execPath} ${binRun} "$@"\n`, { mode: 0o755 });
    const tty = await openTty({ width: 120, height: 20, env: { ...t.env, PATH: `${bin}:${t.env.PATH}` }, cwd: t.dir });
    try {
      tty.type('exec zsh -f');
      tty.keys('Enter');
      tty.type(`PS1='%% '; autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump" && eval "$(devenv autocomplete script zsh)" && echo ZREADY`);
      tty.keys('Enter');
      await tty.waitFor(/^ZREADY$/m, 30_000);
      tty.type('devenv doct');
      tty.keys('Tab');
      await tty.waitFor(/^% devenv doctor\s*$/m, 30_000);
      tty.keys('C-u');
      tty.type('devenv bundle ');
      tty.keys('Tab');
      await tty.waitFor(/^inspect +-- Show what a bundle holds/m, 30_000);
      tty.keys('C-u');
      tty.type('devenv doctor --qu');
      tty.keys('Tab');
      await tty.waitFor(/^% devenv doctor --quiet\s*$/m, 30_000);
    } finally {
      await tty.close();
    }
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
