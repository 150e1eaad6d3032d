import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../src/platform/config.js';
import { createDownloader } from '../../src/platform/download.js';
import { requireReal } from '../helpers/daemons.js';
import { asUnprivileged, binRun, istioFixture, runCli, runCliAs, tempEnv } from '../helpers/env.js';
import { haveTmux, openTty } from '../helpers/tty.js';
import { startServer } from '../helpers/http.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('devenv cache verify | clear', () => {
  it('verify recomputes every blob, repairs a corrupt index entry and drops a corrupt blob; clear URL forgets one record; clear forgets all only with --yes without a terminal (exit 2 otherwise)', async () => {
    const t = await tempEnv();
    const server = await startServer({ '/a.bin': 'artifact a', '/b.bin': 'artifact b' });
    try {
      const cache = path.join(t.env.XDG_CACHE_HOME!, 'devenv');
      const d = createDownloader(defaultConfig(), cache, {});
      const a = await d.download({ url: `${server.url}/a.bin`, dest: path.join(t.dir, 'a') });
      await a.confirm();
      await d.download({ url: `${server.url}/b.bin`, dest: path.join(t.dir, 'b'), sha256: sha(Buffer.from('artifact b')) });
      const ok = await runCli(['cache', 'verify'], { env: t.env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /2 artifacts verified/);
      // Corrupt one index entry and one blob.
      const idx = path.join(cache, 'index');
      const entries = await fs.readdir(idx);
      await fs.writeFile(path.join(idx, entries[0]), 'not json');
      const blob = path.join(cache, 'blobs', 'sha256', sha(Buffer.from('artifact b')));
      await fs.chmod(blob, 0o644);
      await fs.writeFile(blob, 'tampered');
      const v = await runCli(['cache', 'verify'], { env: t.env });
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /repaired: .*corrupt index entry rebuilt from the blob record/);
      assert.match(v.stdout, /repaired: .*b\.bin: blob [0-9a-f]{64} was corrupt/);
      const one = await runCli(['cache', 'clear', `${server.url}/a.bin`], { env: t.env });
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /forgot http:\/\/127\.0\.0\.1:\d+\/a\.bin/);
      assert.equal(await createDownloader(defaultConfig(), cache, {}).recorded(`${server.url}/a.bin`), undefined);
      assert.ok(await createDownloader(defaultConfig(), cache, {}).recorded(`${server.url}/b.bin`));
      const unknown = await runCli(['cache', 'clear', 'https://user:cl3ar-pw@nowhere.invalid/x'], { env: t.env });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stdout, /not in the cache: https:\/\/user:\*\*\*@nowhere\.invalid\/x/);
      // Everything: without a terminal only with --yes; refused, it says what it would remove and removes nothing.
      const refused = await runCli(['cache', 'clear'], { env: t.env });
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /cache clear without URLs removes the whole download cache .*devenv \(1 artifact, 10 bytes\); nothing was removed/);
      assert.match(refused.stderr, /devenv cache clear --yes/);
      assert.ok(await createDownloader(defaultConfig(), cache, {}).recorded(`${server.url}/b.bin`), 'a refused clear removed a record');
      const all = await runCli(['cache', 'clear', '--yes'], { env: t.env });
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /cleared the download cache .* \(1 record\)/);
      assert.equal(await createDownloader(defaultConfig(), cache, {}).recorded(`${server.url}/b.bin`), undefined);
      // An empty cache has nothing to lose: no question.
      const empty = await runCli(['cache', 'clear'], { env: t.env });
      assert.equal(empty.code, 0, empty.stderr);
    } finally {
      await server.close();
      await t.cleanup();
    }
  });

  it('clear without URLs on a terminal asks first: n keeps everything, y clears it', async (tc) => {
    if (!requireReal(tc, 'tmux', haveTmux())) return;
    const t = await tempEnv();
    const server = await startServer({ '/c.bin': 'artifact c' });
    const { CI: _ci, ...env } = t.env;
    void _ci;
    const tty = await openTty({ width: 160, height: 30, env: { ...env, PS1: '$ ' }, cwd: t.dir });
    try {
      const cache = path.join(t.env.XDG_CACHE_HOME!, 'devenv');
      await (await createDownloader(defaultConfig(), cache, {}).download({ url: `${server.url}/c.bin`, dest: path.join(t.dir, 'c') })).confirm();
      tty.type(`node ${binRun} cache clear; echo "EXIT:$?"`);
      tty.keys('Enter');
      await tty.waitFor(/Remove the whole download cache .*\(1 artifact, 10 bytes\)\?/);
      tty.type('n');
      tty.keys('Enter');
      const [, no] = await tty.waitFor(/EXIT:(\d+)/);
      assert.equal(no, '0', tty.history());
      assert.match(tty.history(), /Nothing was removed\./);
      assert.ok(await createDownloader(defaultConfig(), cache, {}).recorded(`${server.url}/c.bin`), 'declined, yet the record is gone');
      tty.type(`clear; node ${binRun} cache clear; echo "DONE:$?"`);
      tty.keys('Enter');
      await tty.waitFor(/Remove the whole download cache/);
      tty.type('y');
      tty.keys('Enter');
      const [, yes] = await tty.waitFor(/DONE:(\d+)/);
      assert.equal(yes, '0', tty.history());
      assert.match(tty.history(), /cleared the download cache .* \(1 record\)/);
      assert.equal(await createDownloader(defaultConfig(), cache, {}).recorded(`${server.url}/c.bin`), undefined);
    } finally {
      await tty.close();
      await server.close();
      await t.cleanup();
    }
  });

  it('an unreadable repo config is an error naming the file, exit 2 (not treated as absent)', async () => {
    const t = await tempEnv();
    try {
      const root = await istioFixture(path.join(t.dir, 'istio'));
      const cfg = path.join(root, '.devenvrc.json');
      await fs.writeFile(cfg, '{"prefer":"mirror-only"}');
      await fs.chmod(cfg, 0o000);
      const r = await runCliAs(asUnprivileged(), ['doctor', '--only', 'gnu-tar', '--dir', root], { env: t.env });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`${cfg.replace(/[.]/g, "\\.")}: cannot read: (permission denied \\()?EACCES`));
    } finally {
      await t.cleanup();
    }
  });
});
