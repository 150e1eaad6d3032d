import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { goVersion, localGoVersion } from '../../checks/go-version.js';
import { runFixes, runOneCheck } from '../../src/engine/engine.js';
import { pickRelease, type GoRelease } from '../../src/features/goinstall.js';
import { istioFixture, runCli, tempEnv, testContext } from '../helpers/env.js';
import { requireReal } from '../helpers/daemons.js';
import { startServer, type TestServer } from '../helpers/http.js';
import { corruptGzip } from '../helpers/tgz.js';

const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';

describe('Go release selection', () => {
  const rel = (v: string, stable = true): GoRelease => ({
    version: `go${v}`,
    stable,
    files: [{ filename: `go${v}.linux-amd64.tar.gz`, os: 'linux', arch: 'amd64', version: `go${v}`, sha256: 'x', kind: 'archive' }],
  });
  const index = [rel('1.14.1'), rel('1.13.15'), rel('1.13.2'), rel('1.13rc1', false), rel('1.22.12'), rel('1.22.0')];
  it('newest stable patch of the required minor line', () => {
    assert.equal(pickRelease(index, '1.13', 'linux', 'amd64')?.release.version, 'go1.13.15');
    assert.equal(pickRelease(index, '1.22.0', 'linux', 'amd64')?.release.version, 'go1.22.12');
  });
  it('an exact version from config', () => {
    assert.equal(pickRelease(index, '1.13.2', 'linux', 'amd64', { exact: true })?.release.version, 'go1.13.2');
  });
  it('nothing for a missing platform or line', () => {
    assert.equal(pickRelease(index, '1.13', 'darwin', 'arm64'), undefined);
    assert.equal(pickRelease(index, '1.15', 'linux', 'amd64'), undefined);
  });
});

describe('go-version fix: installing Go from a loopback download index', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  let tarball: Buffer;
  let version: string | undefined;
  let goBin: string | undefined;

  before(async () => {
    t = await tempEnv();
    const probe = await testContext({ env: t.env, dir: t.dir });
    const local = await localGoVersion(probe);
    version = local.version;
    if (!local.path || !version) return;
    goBin = await fs.realpath(local.path);
    // A release tarball built here from the installed Go binary: go/bin/go + go/VERSION.
    const src = path.join(t.dir, 'tarsrc');
    await fs.mkdir(path.join(src, 'go', 'bin'), { recursive: true });
    await fs.copyFile(goBin, path.join(src, 'go', 'bin', 'go'));
    await fs.chmod(path.join(src, 'go', 'bin', 'go'), 0o755);
    await fs.writeFile(path.join(src, 'go', 'VERSION'), `go${version}\n`);
    const tgz = path.join(t.dir, 'go.tar.gz');
    execFileSync('tar', ['-C', src, '-czf', tgz, 'go']);
    tarball = await fs.readFile(tgz);
    server = await startServer({});
  });
  after(async () => {
    await server?.close();
    await t.cleanup();
  });

  function serve(opts: { sha?: string; cut?: boolean; filename?: string; body?: Buffer }) {
    const file = opts.filename ?? `go${version}.linux-${arch}.tar.gz`;
    const body = opts.body ?? tarball;
    const sha = opts.sha ?? createHash('sha256').update(body).digest('hex');
    const [maj, min] = version!.split('.');
    const index: GoRelease[] = [
      { version: `go${version}`, stable: true, files: [{ filename: file, os: 'linux', arch, version: `go${version}`, sha256: sha, size: tarball.length, kind: 'archive' }] },
      { version: `go${maj}.${min}.0`, stable: true, files: [{ filename: `go${maj}.${min}.0.linux-${arch}.tar.gz`, os: 'linux', arch, version: `go${maj}.${min}.0`, sha256: sha, kind: 'archive' }] },
      { version: `go${maj}.${Number(min) + 1}rc1`, stable: false, files: [] },
    ];
    server.routes.set('/dl/', { body: JSON.stringify(index), contentType: 'application/json' });
    server.routes.set(`/dl/${file}`, { body, ...(opts.cut ? { cutAfter: 4096, cutTimes: 100 } : {}) });
  }

  async function setup(name: string) {
    const root = await istioFixture(path.join(t.dir, name), { go: version!.split('.').slice(0, 2).join('.'), goVersionRequired: null });
    await fs.writeFile(path.join(root, '.devenvrc.json'), JSON.stringify({ go: { downloadBase: `${server.url}/dl/` } }));
    // No go on PATH: the check fails and the fix must install one.
    const emptyBin = path.join(t.dir, `${name}-bin`);
    await fs.mkdir(emptyBin);
    const data = path.join(t.dir, `${name}-data`);
    // Each case has its own download cache, or a tarball cached by an earlier case would be reused.
    const env = { ...t.env, PATH: emptyBin, XDG_DATA_HOME: data, XDG_CACHE_HOME: path.join(t.dir, `${name}-cache`) };
    return { root, env, toolchains: path.join(data, 'devenv', 'toolchains') };
  }

  async function leftovers(dir: string): Promise<string[]> {
    try {
      return await fs.readdir(dir);
    } catch {
      return [];
    }
  }

  it('installs the newest patch, verified; the installed go runs; a second run is a no-op', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    serve({});
    const { root, env, toolchains } = await setup('ok');
    const r = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', root], { env, timeoutMs: 120_000 });
    const o = JSON.parse(r.stdout).fixes[0];
    // Installed but not yet first on PATH: better (fail → warn), not "fixed"; what remains is the person's.
    assert.equal(o.action, 'improved', JSON.stringify(o));
    assert.equal(o.after.status, 'warn', 'installed but not yet on PATH');
    assert.match(o.needsYou[0], /^eval "\$\(devenv shellenv\)"/);
    assert.match(o.after.hint, /devenv shellenv/);
    assert.deepEqual(await leftovers(toolchains), [`go${version}`]);
    const out = execFileSync(path.join(toolchains, `go${version}`, 'bin', 'go'), ['version'], { env: { PATH: '/nonexistent' } }).toString();
    assert.match(out, new RegExp(`go version go${version!.replace(/\./g, '\\.')}`));
    const before = server.log.length;
    const again = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', root], { env });
    assert.equal(JSON.parse(again.stdout).fixes[0].action, 'manual');
    assert.equal(again.code, 1);
    assert.equal(server.log.length, before, 'the second run downloaded something');
    // With the installed Go first on PATH the check is ok.
    const ctx = await testContext({ env: { ...env, PATH: path.join(toolchains, `go${version}`, 'bin') }, dir: root });
    assert.equal((await runOneCheck(goVersion, ctx, 10_000)).status, 'ok');
  });

  it('work dirs of an interrupted install (.go*.tmp) are removed by the next install (issue 12 item 5)', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    serve({});
    const { root, env, toolchains } = await setup('litter');
    const dead = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"']).toString().trim();
    for (const d of [`.go${version}.devenv-${dead}-abcd1234.tmp`, `.go${version}.0badc0de.tmp`]) await fs.mkdir(path.join(toolchains, d, 'x'), { recursive: true });
    const r = await runCli(['fix', 'go-version', '--yes', '--json', '--dir', root], { env, timeoutMs: 120_000 });
    assert.equal(JSON.parse(r.stdout).fixes[0].action, 'improved', r.stdout); // installed; not yet on PATH
    assert.deepEqual(await leftovers(toolchains), [`go${version}`]);
  });

  it('a file name in the index that would escape the toolchains dir is refused before any download (issue 12 item 14)', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    serve({ filename: '../../../../../evil.tar.gz' });
    const { root, env } = await setup('traversal');
    const before = server.log.length;
    const ctx = await testContext({ env, dir: root });
    const [o] = await runFixes([goVersion], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', /refusing file name "\.\.\/\.\.\/.*evil\.tar\.gz"/);
    assert.deepEqual(server.log.slice(before).filter((l) => l.includes('evil')), []);
    await assert.rejects(fs.access(path.join(t.dir, 'evil.tar.gz')));
  });

  it('a tarball whose sha256 differs from the index is refused; nothing is left behind', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    serve({ sha: 'f'.repeat(64) });
    const { root, env, toolchains } = await setup('badsum');
    const ctx = await testContext({ env, dir: root });
    const [o] = await runFixes([goVersion], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', /sha256 mismatch .*expected f{64}/);
    assert.deepEqual(await leftovers(toolchains), []);
  });

  it('a server that drops the connection mid-transfer: clear error, no partial install', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    serve({ cut: true });
    const { root, env, toolchains } = await setup('cut');
    const ctx = await testContext({ env, dir: root });
    const [o] = await runFixes([goVersion], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', new RegExp(`could not download .*go${version!.replace(/\./g, '\\.')}.*(interrupted|terminated|closed|premature)`, 'i'));
    assert.deepEqual(await leftovers(toolchains), []);
  });

  it('a tarball that matches the index but does not unpack (corrupt gzip): a clear error naming it; nothing is left behind', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    serve({ body: corruptGzip(tarball) });
    const { root, env, toolchains } = await setup('corrupt');
    const ctx = await testContext({ env, dir: root });
    const [o] = await runFixes([goVersion], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', new RegExp(`cannot extract go${version!.replace(/\./g, '\\.')}\\.linux-${arch}\\.tar\\.gz: `));
    assert.deepEqual(await leftovers(toolchains), []);
  });

  it('a tarball whose go/bin/go is not a program (shell text with no #!) is never run: a clear error; nothing installed', async (tc) => {
    if (!requireReal(tc, 'go on PATH', goBin)) return;
    const src = path.join(t.dir, 'not-a-program');
    await fs.mkdir(path.join(src, 'go', 'bin'), { recursive: true });
    // run through execvp's /bin/sh fallback, this would leave a mark in the temp home
    await fs.writeFile(path.join(src, 'go', 'bin', 'go'), 'touch "$HOME/go-ran"\n', { mode: 0o755 });
    const tgz = path.join(t.dir, 'not-a-program.tar.gz');
    execFileSync('tar', ['-C', src, '-czf', tgz, 'go']);
    serve({ body: await fs.readFile(tgz) });
    const { root, env, toolchains } = await setup('not-a-program');
    const ctx = await testContext({ env, dir: root });
    const [o] = await runFixes([goVersion], ctx, { timeoutMs: 60_000, yes: true });
    assert.equal(o.action, 'failed');
    assert.match(o.message ?? '', /has no runnable go\/bin\/go \(it starts with "touch \\"\$HOME\/go-"\); it was not run and not installed/);
    await assert.rejects(fs.access(path.join(t.env.HOME!, 'go-ran')), 'the bytes were run as a shell script');
    assert.deepEqual(await leftovers(toolchains), []);
  });
});
