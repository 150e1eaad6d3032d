/**
 * Issue 12: unreadable files are errors (3), .env writes (4), litter (5), size
 * caps (12), path traversal (14), bounded subprocess concurrency (15), messages (17).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateGoFile } from '../../src/features/goinstall.js';
import { readBaseImages } from '../../src/istio/dockerfiles.js';
import { parseMakeVars } from '../../src/istio/makefile.js';
import { parseDotenv } from '../../src/platform/dotenv.js';
import { copyAtomic, readTextCapped, sweepLitter, tarErrorMessage, writeAtomic } from '../../src/platform/files.js';
import { asUnprivileged, istioFixture, repoRoot, runCli, runCliAs, tempEnv } from '../helpers/env.js';
import { startCli } from '../helpers/procs.js';

describe('issue 12: hostile, huge and unreadable inputs; .env writes; messages', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  describe('unreadable is not absent (item 3)', () => {
    for (const [file, content] of [
      ['Makefile.core.mk', 'VERSION ?= 1.4-dev\n'],
      ['istio.deps', '[{"name":"PROXY_REPO_SHA","lastStableSHA":"0123456789abcdef0123456789abcdef01234567"}]\n'],
      ['.env', 'export HUB=docker.io/me\n'],
      ['docker/Dockerfile.kubectl', 'FROM scratch\nADD https://storage.googleapis.com/kubernetes-release/release/v1.16.0/bin/linux/amd64/kubectl /usr/bin/kubectl\n'],
    ] as const) {
      it(`an unreadable ${file}: doctor names it and does not say "Ready"`, async () => {
        const root = await istioFixture(path.join(t.dir, `unread-${path.basename(file)}`), { files: { [file]: content } });
        await fs.chmod(path.join(root, file), 0o000);
        const r = await runCliAs(asUnprivileged(), ['doctor', '--dir', root, '--profile', 'all'], { env: t.env, timeoutMs: 60_000 });
        const out = r.stdout + r.stderr;
        assert.match(out, new RegExp(`${file.replace(/\./g, '\\.')}: permission denied \\(EACCES\\)`), out);
        assert.doesNotMatch(out, /Ready to build/);
        assert.notEqual(r.code, 0);
      });
    }
    it('fix --revert kubectl-cache with an unreadable backup is an error naming it, not "nothing to revert"', async () => {
      const root = await istioFixture(path.join(t.dir, 'unread-backup'), { files: { 'docker/Dockerfile.kubectl': 'FROM scratch\nADD kubectl /usr/bin/kubectl\n' } });
      // Where kubectl-cache keeps its backup of this checkout, made unreadable.
      const backups = path.join(t.env.XDG_DATA_HOME!, 'devenv', 'backups');
      await fs.mkdir(backups, { recursive: true });
      const r0 = await runCli(['fix', '--revert', 'kubectl-cache', '--json', '--dir', root], { env: t.env });
      assert.match(r0.stdout, /nothing to revert/, 'no backup yet: nothing to revert');
      const h0 = await runCli(['fix', '--revert', 'kubectl-cache', '--dir', root], { env: t.env });
      assert.equal(h0.code, 0, h0.stderr);
      assert.match(h0.stdout, /kubectl-cache\]: nothing to revert \(no change of devenv's is recorded here\)/);
      assert.match(h0.stdout, /Nothing to revert: kubectl-cache\. Nothing was changed\.\n/);
      assert.doesNotMatch(h0.stdout, /Reverted:|↺/, 'nothing was reverted, so it does not say so');
      await fs.chmod(backups, 0o000);
      const r = await runCliAs(asUnprivileged(), ['fix', '--revert', 'kubectl-cache', '--dir', root], { env: t.env, timeoutMs: 60_000 });
      await fs.chmod(backups, 0o755);
      assert.doesNotMatch(r.stdout, /nothing to revert/);
      assert.match(r.stdout + r.stderr, /backups.*permission denied \(EACCES\)/);
      assert.notEqual(r.code, 0);
    });
    it('an unreadable go.mod is an error naming it', async () => {
      const root = await istioFixture(path.join(t.dir, 'unread-gomod'));
      await fs.chmod(path.join(root, 'go.mod'), 0o000);
      const r = await runCliAs(asUnprivileged(), ['doctor', '--dir', root], { env: t.env, timeoutMs: 60_000 });
      assert.match(r.stderr, /cannot read .*go\.mod: permission denied \(EACCES\)/);
      assert.notEqual(r.code, 0);
    });
  });

  describe('size caps and no starved timers (item 12)', () => {
    it('a 10 MB FROM line is refused quickly, naming the file (no minutes of CPU on it)', async () => {
      const root = await istioFixture(path.join(t.dir, 'huge-from'), { files: { 'docker/Dockerfile.base': `FROM ${'a'.repeat(10 * 1024 * 1024)}\n` } });
      const started = Date.now();
      await assert.rejects(readBaseImages(root), /Dockerfile\.base is larger than 4 MiB \(10\.0 MiB\)/);
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started}ms`);
    });
    it('a huge Makefile.core.mk: doctor exits promptly with a clear message naming it', async () => {
      const root = await istioFixture(path.join(t.dir, 'huge-mk'));
      await fs.appendFile(path.join(root, 'Makefile.core.mk'), `X := ${'y'.repeat(5 * 1024 * 1024)}\n`);
      const r = await runCli(['doctor', '--dir', root], { env: t.env, timeoutMs: 60_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Makefile\.core\.mk is larger than 4 MiB \(5\.0 MiB\)/);
      assert.ok(r.durationMs < 15_000, `took ${r.durationMs}ms`);
    });
    it('parsing is linear: a 50k-space line in a Makefile or .env takes milliseconds, not seconds', () => {
      const line = 'a' + ' '.repeat(50_000) + 'b';
      for (const [what, parse] of [
        ['Makefile', () => parseMakeVars(`X = ${line}\n`, 'Makefile.core.mk')],
        ['.env', () => parseDotenv(`X=${line}\n`)],
      ] as const) {
        const started = Date.now();
        parse();
        assert.ok(Date.now() - started < 500, `${what}: ${Date.now() - started}ms`);
      }
      assert.equal(parseMakeVars(`X :=  a b  # c\n`, 'M')[0].value, 'a b');
      assert.equal(parseDotenv('X=a b  # c\n').lines[0].entry?.value, 'a b');
      assert.equal(parseDotenv('X=a#b\n').lines[0].entry?.value, 'a#b');
    });
    it('a config file over 1 MiB is refused naming it (exit 2); an unreadable one says permission denied', async () => {
      const big = path.join(t.dir, 'big.json');
      await fs.writeFile(big, JSON.stringify({ x: 'a'.repeat(2 * 1024 * 1024) }));
      const r = await runCli(['doctor', '--config', big], { env: t.env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`${big.replace(/\./g, '\\.')}: the file is larger than 1 MiB \\(2\\.0 MiB\\)`));
      const unr = path.join(t.dir, 'unreadable.json');
      await fs.writeFile(unr, '{}', { mode: 0o000 });
      const u = await runCliAs(asUnprivileged(), ['doctor', '--config', unr], { env: t.env });
      assert.equal(u.code, 2);
      assert.match(u.stderr, /unreadable\.json: cannot read: permission denied \(EACCES\)/);
    });
    it('readTextCapped never reads past the cap (a FIFO-free /dev/zero stream)', async () => {
      await assert.rejects(readTextCapped('/dev/zero', 1024), /larger than 1 KiB/);
    });
  });

  describe('path traversal (item 14)', () => {
    it('a lastStableSHA with ../ in istio.deps is refused, naming istio.deps', async () => {
      const root = await istioFixture(path.join(t.dir, 'trav'), { files: { 'istio.deps': '[\n  {"name": "PROXY_REPO_SHA", "lastStableSHA": "../../../../tmp/pwn"}\n]\n' } });
      const r = await runCli(['doctor', '--dir', root, '--profile', 'all', '--json'], { env: t.env, timeoutMs: 60_000 });
      assert.match(r.stdout, /istio\.deps:2: lastStableSHA of PROXY_REPO_SHA is not a git SHA/);
    });
    it('Go index names that would escape the toolchains dir are refused', () => {
      const file = { filename: 'go1.13.15.linux-amd64.tar.gz', os: 'linux', arch: 'amd64', version: 'go1.13.15', sha256: 'a'.repeat(64), kind: 'archive' };
      assert.doesNotThrow(() => validateGoFile({ version: 'go1.13.15', stable: true, files: [file] }, file));
      assert.throws(() => validateGoFile({ version: 'go1.13.15', stable: true, files: [] }, { ...file, filename: '../../../.bashrc' }), /refusing file name/);
      assert.throws(() => validateGoFile({ version: 'go1.13.15', stable: true, files: [] }, { ...file, filename: 'a/b.tar.gz' }), /refusing file name/);
      assert.throws(() => validateGoFile({ version: 'go1.13/../../x', stable: true, files: [] }, file), /refusing release version/);
    });
  });

  describe('env init writes (item 4): .istiorc.mk, where make reads HUB and TAG', () => {
    it('bytes that are not UTF-8 in untouched lines are kept; a symlinked .istiorc.mk is written through', async () => {
      const root = await istioFixture(path.join(t.dir, 'env-bytes'));
      const real = path.join(t.dir, 'env-bytes-real.mk');
      const original = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9, 0xff]), Buffer.from('\r\nHUB := docker.io/old\n')]);
      await fs.writeFile(real, original);
      await fs.symlink(real, path.join(root, '.istiorc.mk'));
      const r = await runCli(['env', 'init', '--dir', root, '--hub', 'docker.io/new', '--tag', '1.4-dev'], { env: t.env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok((await fs.lstat(path.join(root, '.istiorc.mk'))).isSymbolicLink(), 'the link stays a link');
      const got = await fs.readFile(real);
      assert.deepEqual(got.subarray(0, 7), original.subarray(0, 7));
      assert.equal(got.subarray(7).toString('latin1'), '\r\nHUB := docker.io/new\nTAG ?= 1.4-dev\r\n');
      assert.deepEqual(await fs.readFile(path.join(root, '.istiorc.mk.devenv-backup')), original);
    });
    it('10 concurrent env init runs keep the original in the backup and leave no lock or temp file', async () => {
      const root = await istioFixture(path.join(t.dir, 'env-conc'), { files: { '.istiorc.mk': 'HUB ?= docker.io/orig\n' } });
      const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['env', 'init', '--dir', root, '--hub', 'docker.io/new', '--tag', 't1'], { env: t.env, timeoutMs: 60_000 })));
      assert.deepEqual(runs.map((r) => r.code), Array(10).fill(0), runs.map((r) => r.stderr).join(''));
      assert.equal(await fs.readFile(path.join(root, '.istiorc.mk.devenv-backup'), 'utf8'), 'HUB ?= docker.io/orig\n');
      assert.equal(await fs.readFile(path.join(root, '.istiorc.mk'), 'utf8'), 'HUB ?= docker.io/new\nTAG ?= t1\n');
      assert.deepEqual((await fs.readdir(root)).filter((n) => /lock|\.part$/.test(n)), []);
    });
    it('10 concurrent env init runs with different tags: the backup is still the original', async () => {
      const root = await istioFixture(path.join(t.dir, 'env-conc-tags'), { files: { '.istiorc.mk': 'HUB ?= docker.io/orig\n' } });
      const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => runCli(['env', 'init', '--dir', root, '--hub', 'docker.io/new', '--tag', `t${i}`], { env: t.env, timeoutMs: 60_000 })));
      assert.deepEqual(runs.map((r) => r.code), Array(10).fill(0), runs.map((r) => r.stderr).join(''));
      assert.equal(await fs.readFile(path.join(root, '.istiorc.mk.devenv-backup'), 'utf8'), 'HUB ?= docker.io/orig\n');
      assert.match(await fs.readFile(path.join(root, '.istiorc.mk'), 'utf8'), /^HUB \?= docker\.io\/new\nTAG \?= t\d\n$/);
      // An edit of your own after that is what the next backup keeps.
      await fs.writeFile(path.join(root, '.istiorc.mk'), 'HUB ?= docker.io/mine\n');
      assert.equal((await runCli(['env', 'init', '--dir', root, '--hub', 'docker.io/new'], { env: t.env })).code, 0);
      assert.equal(await fs.readFile(path.join(root, '.istiorc.mk.devenv-backup'), 'utf8'), 'HUB ?= docker.io/mine\n');
    });
    it('kill -9 during env init never leaves a partial .istiorc.mk', async () => {
      for (let i = 0; i < 10; i++) {
        const root = await istioFixture(path.join(t.dir, `env-kill-${i}`));
        const cli = startCli(['env', 'init', '--dir', root, '--hub', 'docker.io/new', '--tag', 't1'], { env: t.env });
        await new Promise((res) => setTimeout(res, 150 + Math.random() * 400));
        try {
          process.kill(cli.pid, 'SIGKILL');
        } catch {
          // it finished first: then the file must be whole
        }
        await cli.done;
        const text = await fs.readFile(path.join(root, '.istiorc.mk'), 'utf8').catch(() => undefined);
        assert.ok(text === undefined || text === 'HUB ?= docker.io/new\nTAG ?= t1\n', `round ${i}: ${JSON.stringify(text)}`);
        // A lock of the killed run is stale: the next run takes it over.
        const next = await runCli(['env', 'init', '--dir', root, '--hub', 'docker.io/new', '--tag', 't1'], { env: t.env, timeoutMs: 60_000 });
        assert.equal(next.code, 0, next.stderr);
      }
    });
  });

  describe('edits go through symlinks (item 4)', () => {
    it('writeAtomic and copyAtomic replace a symlinked file\'s target, keep the link and the target\'s mode', async () => {
      const dir = path.join(t.dir, 'links');
      await fs.mkdir(path.join(dir, 'real'), { recursive: true });
      const target = path.join(dir, 'real', 'Dockerfile.kubectl');
      await fs.writeFile(target, 'FROM a\n', { mode: 0o640 });
      await fs.chmod(target, 0o640);
      const link = path.join(dir, 'Dockerfile.kubectl');
      await fs.symlink('real/Dockerfile.kubectl', link);
      await writeAtomic(link, 'FROM b\n');
      assert.ok((await fs.lstat(link)).isSymbolicLink());
      assert.equal(await fs.readFile(target, 'utf8'), 'FROM b\n');
      assert.equal((await fs.stat(target)).mode & 0o777, 0o640);
      const src = path.join(dir, 'backup');
      await fs.writeFile(src, 'FROM c\n');
      await copyAtomic(src, link);
      assert.ok((await fs.lstat(link)).isSymbolicLink());
      assert.equal(await fs.readFile(target, 'utf8'), 'FROM c\n');
      assert.deepEqual((await fs.readdir(path.join(dir, 'real'))), ['Dockerfile.kubectl']);
    });
  });

  describe('litter (item 5)', () => {
    it('temp files of a dead devenv are swept; a live write and unrelated files are kept', async () => {
      const dir = path.join(t.dir, 'litter');
      await fs.mkdir(dir);
      const dead = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$" ']).toString().trim();
      await fs.writeFile(path.join(dir, `.kubectl.devenv-${dead}-abcd1234.part`), 'x');
      await fs.writeFile(path.join(dir, `.kubectl.devenv-${process.pid}-abcd1234.part`), 'live');
      await fs.writeFile(path.join(dir, '.kubectl.0badc0de.part'), 'untagged, nobody has it open');
      await fs.writeFile(path.join(dir, 'kubectl'), 'kept');
      const removed = await sweepLitter(dir, { base: 'kubectl' });
      assert.deepEqual(removed.map((p) => path.basename(p)).sort(), [`.kubectl.devenv-${dead}-abcd1234.part`, '.kubectl.0badc0de.part'].sort());
      assert.deepEqual((await fs.readdir(dir)).sort(), [`.kubectl.devenv-${process.pid}-abcd1234.part`, 'kubectl'].sort());
    });
  });

  describe('bounded subprocess concurrency (item 15)', () => {
    it('800 concurrent commands under a 256-descriptor limit all succeed (no EMFILE)', async () => {
      const script = `import { exec } from ${JSON.stringify(path.join(repoRoot, 'src/platform/exec.ts'))};
const rs = await Promise.all(Array.from({ length: 800 }, () => exec('true', [])));
const bad = rs.filter((r) => !r.ok);
console.log(JSON.stringify({ bad: bad.length, sample: bad[0] ?? null }));`;
      const file = path.join(t.dir, 'many.mts');
      await fs.writeFile(file, script);
      const out = await new Promise<string>((resolve, reject) => {
        const c = spawn('prlimit', ['--nofile=256', '--', process.execPath, '--import', 'tsx', file], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let o = '';
        let e = '';
        c.stdout.on('data', (d) => (o += d));
        c.stderr.on('data', (d) => (e += d));
        c.on('close', (code) => (code === 0 ? resolve(o) : reject(new Error(`exit ${code}: ${e}`))));
      });
      assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), { bad: 0, sample: null });
    });
  });

  describe('messages (item 17)', () => {
    it('a YAML alias bomb in the config exits 2 naming the file', async () => {
      const bomb = path.join(t.dir, 'bomb.yaml');
      await fs.writeFile(bomb, 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n');
      const r = await runCli(['doctor', '--config', bomb], { env: t.env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`${bomb.replace(/[.]/g, '\\.')}: invalid YAML: Excessive alias count`));
    });
    it('--timeout abc keeps the reason', async () => {
      const r = await runCli(['doctor', '--timeout', 'abc'], { env: t.env });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--timeout must be a whole number of seconds, 1 or more \(got "abc"\)/);
    });
    it('no MaxListenersExceededWarning: 12 requests and 20 concurrent commands on one check signal', async () => {
      const script = `import http from 'node:http';
import { createDownloader } from ${JSON.stringify(path.join(repoRoot, 'src/platform/download.ts'))};
import { defaultConfig } from ${JSON.stringify(path.join(repoRoot, 'src/platform/config.ts'))};
import { exec } from ${JSON.stringify(path.join(repoRoot, 'src/platform/exec.ts'))};
const srv = http.createServer((_q, r) => r.end('ok'));
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const url = 'http://127.0.0.1:' + srv.address().port + '/f';
const signal = new AbortController().signal;
const d = createDownloader(defaultConfig());
for (let i = 0; i < 12; i++) await d.fetchText(url, { signal });
await Promise.all(Array.from({ length: 20 }, () => exec('true', [], { signal })));
srv.close();
console.log('done');`;
      const file = path.join(t.dir, 'listeners.mts');
      await fs.writeFile(file, script);
      const { out, err } = await new Promise<{ out: string; err: string }>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let o = '';
        let e = '';
        c.stdout.on('data', (d) => (o += d));
        c.stderr.on('data', (d) => (e += d));
        c.on('close', () => resolve({ out: o, err: e }));
      });
      assert.match(out, /done/, err);
      assert.doesNotMatch(err, /MaxListenersExceededWarning/);
    });
    it('node-tar codes and ENOTEMPTY read as sentences', () => {
      assert.equal(tarErrorMessage('/x/go.tar.gz', Object.assign(new Error('TAR_BAD_ARCHIVE: Unrecognized archive format'), { code: 'TAR_BAD_ARCHIVE' })), 'cannot extract go.tar.gz: it is not a valid tar archive (truncated or corrupt)');
      assert.equal(tarErrorMessage('/x/e.tgz', Object.assign(new Error('x'), { code: 'ENOTEMPTY' })), 'cannot extract e.tgz: the directory is not empty (ENOTEMPTY)');
    });
  });
});
