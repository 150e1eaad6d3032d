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
