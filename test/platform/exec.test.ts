import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exec } from '../../src/platform/exec.js';
import { repoRoot, rmrf, tempDir } from '../helpers/env.js';

/** Whether a process with this pid exists (a zombie counts as gone). */
async function alive(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

describe('exec: subprocesses by argument array, never rejecting', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => rmrf(dir));

  it('captures stdout and stderr as text, strips exactly one final newline, reports the exit code', async () => {
    const r = await exec('sh', ['-c', 'printf "out\\n\\n"; printf "err\\r\\n" >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err');
    assert.equal(r.exitCode, 3);
    assert.equal(r.ok, false);
    assert.equal(r.notFound, false);
    assert.equal(r.command, `sh -c 'printf "out\\n\\n"; printf "err\\r\\n" >&2; exit 3'`);
    const ok = await exec('true', []);
    assert.deepEqual([ok.ok, ok.exitCode, ok.stdout, ok.stderr, ok.timedOut, ok.aborted], [true, 0, '', '', false, false]);
  });

  it('decodes UTF-8 split across reads', async () => {
    // é is 0xc3 0xa9: the two bytes arrive in separate writes
    const r = await exec(process.execPath, ['-e', 'process.stdout.write(Buffer.from([0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9, 0x0a])), 100)']);
    assert.equal(r.stdout, 'é');
  });

  it('a missing command is notFound, not an exit code; so is a missing cwd; an unexecutable file is neither', async () => {
    const missing = await exec('devenv-no-such-command', ['x']);
    assert.deepEqual([missing.notFound, missing.exitCode, missing.ok], [true, undefined, false]);
    const noCwd = await exec('true', [], { cwd: path.join(dir, 'not-there') });
    assert.deepEqual([noCwd.notFound, noCwd.exitCode, noCwd.ok], [true, undefined, false]);
    const file = path.join(dir, 'not-executable');
    await fs.writeFile(file, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const denied = await exec(file, []);
    // root may execute a file with no x bit only if some x bit is set: none is
    assert.deepEqual([denied.notFound, denied.exitCode, denied.ok], [false, undefined, false]);
  });

  it('env, when given, is the whole environment (unset entries left out); otherwise the process environment', async () => {
    const r = await exec('/usr/bin/env', [], { env: { DEVENV_A: '1', DEVENV_B: undefined } });
    assert.equal(r.stdout, 'DEVENV_A=1');
    const inherited = await exec('/usr/bin/env', []);
    assert.ok(inherited.stdout.split('\n').includes(`PATH=${process.env.PATH}`), inherited.stdout);
  });

  it('input goes to stdin; without input stdin is empty (a reader does not wait)', async () => {
    assert.equal((await exec('cat', [], { input: 'hello\nworld' })).stdout, 'hello\nworld');
    const r = await exec('cat', [], { timeoutMs: 5000 });
    assert.deepEqual([r.ok, r.stdout, r.timedOut], [true, '', false]);
    // a command that never reads its input still finishes normally
    assert.equal((await exec('true', [], { input: 'x'.repeat(1 << 20) })).ok, true);
  });

  it('timeoutMs: SIGTERM, reported as timedOut with no exit code', async () => {
    const t0 = Date.now();
    const r = await exec('sleep', ['30'], { timeoutMs: 200 });
    assert.deepEqual([r.timedOut, r.aborted, r.exitCode, r.ok], [true, false, undefined, false]);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
  });

  it('a command that ignores SIGTERM gets SIGKILL 2 s later', async () => {
    const t0 = Date.now();
    // sleep inherits the ignored TERM disposition; `exec` leaves no shell holding the output pipe
    const r = await exec('sh', ['-c', 'trap "" TERM; exec sleep 30'], { timeoutMs: 200 });
    const ms = Date.now() - t0;
    assert.deepEqual([r.timedOut, r.exitCode, r.ok], [true, undefined, false]);
    assert.ok(ms >= 2100 && ms < 6000, `took ${ms} ms`);
  });

  it('an aborted signal stops the command (aborted, not timedOut); one aborted before the start runs nothing', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 150);
    const t0 = Date.now();
    const r = await exec('sleep', ['30'], { signal: ctl.signal, timeoutMs: 20_000 });
    assert.deepEqual([r.aborted, r.timedOut, r.exitCode, r.ok], [true, false, undefined, false]);
    assert.ok(Date.now() - t0 < 1500);
    const marker = path.join(dir, 'ran');
    const none = await exec('touch', [marker], { signal: AbortSignal.abort() });
    assert.deepEqual([none.aborted, none.ok], [true, false]);
    await assert.rejects(fs.stat(marker), { code: 'ENOENT' });
  });

  it('a command still running when devenv exits gets SIGTERM', async () => {
    const pidFile = path.join(dir, 'sleep.pid');
    const script = path.join(dir, 'exits.ts');
    await fs.writeFile(
      script,
      `import fs from 'node:fs';
import { exec } from ${JSON.stringify(path.join(repoRoot, 'src/platform/exec.ts'))};
void exec('sh', ['-c', 'echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && exec sleep 30']);
const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(pidFile)})) { clearInterval(t); process.exit(0); } }, 20);
`,
    );
    const code = await new Promise<number | null>((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: 'ignore' });
      c.on('error', reject);
      c.on('close', resolve);
    });
    assert.equal(code, 0);
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    assert.ok(pid > 0);
    const t0 = Date.now();
    while ((await alive(pid)) && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await alive(pid), false, `sleep (pid ${pid}) outlived devenv`);
  });
});
