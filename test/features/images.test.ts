import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAEMON_PROXY_HINT, dockerError } from '../../src/features/images.js';

describe('docker pull errors', () => {
  it('a pull that times out in the daemon says the daemon needs its own proxy settings', () => {
    for (const msg of [
      'Error response from daemon: Get "https://gcr.io/v2/": net/http: TLS handshake timeout',
      'Error response from daemon: Get "https://gcr.io/v2/": dial tcp 142.250.1.82:443: i/o timeout',
      'Error response from daemon: Get "https://gcr.io/v2/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    ]) {
      const e = dockerError('docker pull gcr.io/distroless/static:latest', msg);
      assert.ok(e.suggestions.includes(DAEMON_PROXY_HINT), msg);
    }
    assert.match(DAEMON_PROXY_HINT, /daemon.json|docker\.service/);
    assert.ok(!dockerError('docker pull x', 'manifest unknown').suggestions.includes(DAEMON_PROXY_HINT));
  });
});

describe('--offline and image pulls', () => {
  it('a pull is refused before the daemon is asked (it would contact a registry)', async () => {
    const { pull } = await import('../../src/features/images.js');
    const { fakeExec, tempEnv, testContext } = await import('../helpers/env.js');
    const t = await tempEnv();
    try {
      const exec = fakeExec([]); // any docker call fails the test loudly
      const ctx = await testContext({ env: t.env, dir: t.dir, exec, offline: true });
      await assert.rejects(pull(ctx, 'gcr.io/distroless/static:latest'), /offline: not pulling gcr\.io\/distroless\/static:latest/);
      assert.deepEqual(exec.calls, []);
    } finally {
      await t.cleanup();
    }
  });
});

describe('every image pull is bounded', () => {
  it('a mirror pull that stops answering is stopped at images.pullTimeoutMs, naming the image, the time and the key', async () => {
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const { pull } = await import('../../src/features/images.js');
    const { tempEnv, testContext } = await import('../helpers/env.js');
    const t = await tempEnv();
    try {
      const cfg = path.join(t.dir, 'cfg.json');
      await fs.writeFile(cfg, JSON.stringify({ images: { pullTimeoutMs: 1000 } }));
      // A docker that never answers (a registry gone quiet mid-pull), run for real and killed at the limit.
      const bin = path.join(t.dir, 'bin');
      await fs.mkdir(bin);
      await fs.writeFile(path.join(bin, 'docker'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
      const ctx = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, PATH: `${bin}:${t.env.PATH}` }, dir: t.dir });
      await assert.rejects(pull(ctx, 'mirror.example/cistio/distroless-static:latest'), /did not finish within 1s \(images\.pullTimeoutMs\) and was stopped/);
    } finally {
      await t.cleanup();
    }
  });
});
