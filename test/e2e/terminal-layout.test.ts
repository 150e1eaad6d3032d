/**
 * Layout on real terminals: `devenv doctor` in tmux at 80 and 120 columns, and
 * under `script` on a terminal that reports 0 columns (as CI runners do). No
 * line is wider than the terminal (0 → 80), no word is broken (the wrapped
 * text equals the unwrapped piped text, line breaks aside), and the output is
 * bounded in size and time.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireReal } from '../helpers/daemons.js';
import { binRun, istioFixture, runCli, tempEnv } from '../helpers/env.js';
import { haveTmux, openTty } from '../helpers/tty.js';

const KUBECTL_URL = 'https://storage.googleapis.com/kubernetes-release/release/v1.13.10/bin/linux/amd64/kubectl';
const MAKEFILE = ['GOPATH ?= $(shell cd ${ISTIO_GO}/../../..; pwd)', "GO_TOP := $(shell echo ${GOPATH} | cut -d ':' -f1)", 'OUT_DIR := $(GO_TOP)/out', 'GO_VERSION_REQUIRED:=1.10', 'VERSION ?= 1.4-dev', ''].join('\n');
// Ten modules the (empty) module cache lacks: go prints one error per module.
const GO_MOD = `module istio.io/istio\n\ngo 1.13\n\nrequire (\n${Array.from({ length: 10 }, (_, i) => `\texample.com/devenv-test/mod${i} v1.0.${i}\n`).join('')})\n`;

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const columns = (l: string) => [...l].length;

/** The report as words: line breaks and indents count as one space; a long path broken after a `/` joins back. */
function normalize(text: string): string {
  const lines = text
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  let out = '';
  for (const l of lines) out += out === '' || out.endsWith('/') ? l : ` ${l}`;
  return out.replace(/\s+/g, ' ');
}

function report(text: string): string {
  const start = text.search(/devenv \d+\.\d+\.\d+[^\s\d]* ·/);
  const end = text.search(/\n[^\n]*EXIT:\d/);
  return text.slice(start, end === -1 ? undefined : end);
}

function which(cmd: string): Promise<boolean> {
  return new Promise((resolve) => execFile('sh', ['-c', `command -v ${cmd}`], (err) => resolve(!err)));
}

describe('doctor output fits the terminal', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let root: string;
  let env: Record<string, string | undefined>;

  before(async () => {
    t = await tempEnv();
    const gopath = path.join(t.dir, 'a-rather-long-gopath-directory-name', 'go');
    root = await istioFixture(path.join(gopath, 'src', 'istio.io', 'istio'), {
      files: {
        'go.mod': GO_MOD,
        'Makefile.core.mk': MAKEFILE,
        'docker/Dockerfile.kubectl': `FROM docker.io/istio/base:1.4-dev.4\nADD ${KUBECTL_URL} /usr/bin/kubectl\n`,
        '.devenvrc.json': JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': 'http://127.0.0.1:9/a-mirror-that-is-not-asked-by-doctor/' } } }),
      },
    });
    env = {
      ...t.env,
      GOPATH: gopath,
      GO111MODULE: 'on',
      GOFLAGS: '-mod=mod',
      GEM_HOME: path.join(t.dir, 'gems'),
      HUB: 'docker.io/janesmithistiodevelopmentsquadTeam',
      DOCKER_HOST: `unix://${path.join(t.dir, 'no-docker.sock')}`,
      NO_COLOR: undefined,
      CI: undefined,
      PS1: '$ ',
    };
  });
  after(() => t.cleanup());

  for (const width of [80, 120]) {
    it(`at ${width} columns: every line fits, no word is broken, the header names the config and mirrors`, async (tc) => {
      if (!requireReal(tc, 'tmux', haveTmux())) return;
      const piped = await runCli(['doctor', '--dir', root], { env, timeoutMs: 60_000 });
      const tty = await openTty({ width, height: 50, env, cwd: root });
      try {
        tty.type(`node ${binRun} doctor; echo "EXIT:$?"`);
        tty.keys('Enter');
        await tty.waitFor(/EXIT:\d/, 60_000);
        // -J joins back lines the terminal itself wrapped: any longer than the width were printed too wide.
        const joined = tty.history({ join: true });
        const mine = report(joined);
        for (const line of mine.split('\n')) assert.ok(columns(line) <= width, `wider than ${width}: ${JSON.stringify(line)} (${columns(line)})`);
        assert.equal(normalize(mine), normalize(piped.stdout), 'wrapping changed the words (a word was broken)');
        assert.ok(normalize(mine).includes(`config: ${root}/.devenvrc.json`), mine);
        assert.match(normalize(mine), /mirrors \(mirror first\): https:\/\/storage\.googleapis\.com\/ → http:\/\/127\.0\.0\.1:9\//);
        // Summary first: one line per check, source and hint only under checks that are not ok.
        assert.match(mine, /✓ Go toolchain \[go-version\]: \S+ \(requires >= 1\.13\)\n/);
        assert.doesNotMatch(mine, /\[go-version\][^\n]*\n\s+from go\.mod/);
        assert.match(normalize(mine), /✗ kubectl for Dockerfile\.kubectl \[kubectl-cache\]: missing \(requires kubectl v1\.13\.10\) kubectl v1\.13\.10 is not cached at \S+ from docker\/Dockerfile\.kubectl:2 → devenv fix kubectl-cache/);
        // Ten go errors are one line, not ten.
        assert.ok((mine.match(/module lookup disabled by GOPROXY=off/g) ?? []).length <= 1, mine);
      } finally {
        await tty.close();
      }
    });
  }

  it('--verbose at 80 columns: details and durations, each repeated error once with a count, every line fits', async (tc) => {
    if (!requireReal(tc, 'tmux', haveTmux())) return;
    const tty = await openTty({ width: 80, height: 50, env, cwd: root });
    try {
      tty.type(`node ${binRun} doctor --verbose --only go-modules; echo "EXIT:$?"`);
      tty.keys('Enter');
      await tty.waitFor(/EXIT:\d/, 60_000);
      const mine = report(tty.history({ join: true }));
      for (const line of mine.split('\n')) assert.ok(columns(line) <= 80, JSON.stringify(line));
      assert.match(normalize(mine), /\[go-modules\]: .* \d+ms from go\.mod/);
      assert.equal((mine.match(/module lookup disabled by GOPROXY=off/g) ?? []).length, 1, `the details once (×10):\n${mine}`);
      assert.match(mine, /module lookup disabled by GOPROXY=off \(×10\)/);
      assert.match(normalize(mine), /\[go-modules\]: the module cache lacks 10 modules of go\.mod \(go mod download, looked up with no network\)/, 'the summary counts them');
    } finally {
      await tty.close();
    }
  });

  it('a terminal that reports 0 columns (script in CI): laid out for 80, ends promptly, bounded output', async (tc) => {
    if (!requireReal(tc, 'script', await which('script'))) return;
    const started = Date.now();
    const inner = `stty cols 0 rows 0 && exec ${process.execPath} ${binRun} doctor --dir ${root}`;
    const r = await new Promise<{ out: string; code: number | null }>((resolve) => {
      const child = execFile('script', ['-qec', inner, '/dev/null'], { env: env as NodeJS.ProcessEnv, timeout: 60_000, maxBuffer: 8 << 20, encoding: 'utf8' }, (err, stdout) =>
        resolve({ out: stdout, code: err ? ((err as { code?: number }).code ?? null) : 0 }));
      child.stdin?.end();
    });
    const ms = Date.now() - started;
    assert.ok(ms < 30_000, `took ${ms}ms`);
    assert.ok(r.out.length < 64 * 1024, `${r.out.length} bytes of output`);
    const text = r.out.replace(ANSI, '').replace(/\r/g, '');
    assert.match(text, /\d+ ok, \d+ warnings?, \d+ failed, \d+ skipped/);
    for (const line of text.split('\n')) assert.ok(columns(line) <= 80, `wider than 80: ${JSON.stringify(line)}`);
  });

  it('a long tool error from a fix is printed once, cut to its first lines; --verbose has all of it', async () => {
    const cfg = path.join(t.dir, 'proxy.json');
    const { writeFile } = await import('node:fs/promises');
    // A module proxy that answers, with 404 for every module: go fails once per module (a proxy that does not
    // answer at all is caught before go runs, in one short line).
    const { startServer } = await import('../helpers/http.js');
    const server = await startServer({});
    after(() => server.close());
    await writeFile(cfg, JSON.stringify({ go: { proxy: `${server.url}/${'a-long-module-proxy-path/'.repeat(4)}` } }));
    const r = await runCli(['fix', 'go-modules', '--dir', root, '--config', cfg], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const all = r.stdout + r.stderr;
    assert.equal((all.match(/go mod download failed/g) ?? []).length, 1, all);
    assert.match(r.stdout, /\(cut short: --verbose shows all of it\)|more lines?: --verbose/);
    assert.match(r.stderr, /go-modules: .*go mod download.* \(failed: see below\)/);
    const v = await runCli(['fix', 'go-modules', '--verbose', '--dir', root, '--config', cfg], { env, timeoutMs: 120_000 });
    assert.equal(((v.stdout + v.stderr).match(/go mod download failed/g) ?? []).length, 1);
    assert.ok(v.stdout.length > r.stdout.length, 'verbose shows more of the error');
  });

  it('--quiet prints only the problems', async () => {
    const r = await runCli(['doctor', '--quiet', '--dir', root], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /✓|^devenv 0|^Toolchain$/m);
    assert.match(r.stdout, /✗ kubectl for Dockerfile\.kubectl/);
    const ok = await runCli(['doctor', '--quiet', '--only', 'gnu-tar', '--dir', root], { env });
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, '');
  });
});
