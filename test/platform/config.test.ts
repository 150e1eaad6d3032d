import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/platform/config.js';
import { ConfigError } from '../../src/platform/errors.js';
import { candidateUrls, mirrorImage, mirrorUrl } from '../../src/platform/mirrors.js';
import { rmrf, tempDir } from '../helpers/env.js';

async function layout(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('devenv-config-');
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), text);
  }
  return dir;
}

describe('config discovery and validation', () => {
  it('layers user, repo and explicit files, later overriding earlier', async () => {
    const dir = await layout({
      'xdg/devenv/config.yaml': 'prefer: mirror\nmirrors:\n  urls:\n    "https://storage.googleapis.com/": "http://127.0.0.1:1/gcs/"\n',
      'repo/.devenvrc.json': JSON.stringify({ checks: { timeoutMs: 2000 }, mirrors: { images: { 'gcr.io/x/': 'mirror/x-' } } }),
      'explicit.json': JSON.stringify({ prefer: 'upstream', go: { proxy: 'off' } }),
    });
    try {
      const cfg = await loadConfig({ userConfigDir: path.join(dir, 'xdg/devenv'), root: path.join(dir, 'repo'), explicit: path.join(dir, 'explicit.json') });
      assert.equal(cfg.prefer, 'upstream');
      assert.equal(cfg.checks.timeoutMs, 2000);
      assert.equal(cfg.go.proxy, 'off');
      assert.equal(cfg.mirrors.urls['https://storage.googleapis.com/'], 'http://127.0.0.1:1/gcs/');
      // the default distroless mirror survives a repo file that adds another rule
      assert.deepEqual(cfg.mirrors.images, { 'gcr.io/distroless/': 'cistio/distroless-', 'gcr.io/x/': 'mirror/x-' });
      assert.deepEqual(cfg.files.map((f) => path.relative(dir, f)), ['xdg/devenv/config.yaml', 'repo/.devenvrc.json', 'explicit.json']);
    } finally {
      await rmrf(dir);
    }
  });

  it('defaults apply when there is no file', async () => {
    const dir = await tempDir();
    try {
      const cfg = await loadConfig({ userConfigDir: path.join(dir, 'none'), root: null });
      assert.equal(cfg.prefer, 'upstream');
      assert.equal(cfg.checks.timeoutMs, 10_000);
      assert.deepEqual(cfg.files, []);
    } finally {
      await rmrf(dir);
    }
  });

  const bad: [string, string, RegExp][] = [
    ['bad.json', '{\n  "prefer": "mirror",\n  oops\n}', /bad\.json:3: invalid JSON/],
    ['bad.yaml', 'prefer: mirror\nmirrors: [unclosed\n', /bad\.yaml:\d+: invalid YAML/],
    ['unknown.json', '{"mirrors": {"url": {}}}', /unknown\.json: mirrors\.url: unknown key \(did you mean mirrors\.urls\?\)$/],
    ['toplevel.json', '{"prefers": "mirror"}', /toplevel\.json: prefers: unknown key \(did you mean prefer\?\)$/],
    ['far.json', '{"download": {"xyzzy": 1}}', /far\.json: download\.xyzzy: unknown key$/],
    ['short.json', '{"go": {"vx": 1}}', /short\.json: go\.vx: unknown key$/],
    ['pilot.json', '{"pilot": {"ports": {"grcp": 1}}}', /pilot\.json: pilot\.ports\.grcp: unknown key \(did you mean pilot\.ports\.grpc\?\)$/],
    ['two.json', '{"prefer": "sometimes", "mirrors": {"urls": 3}}', /two\.json: (prefer: Invalid enum value.*; mirrors\.urls: Expected object, received number|mirrors\.urls: Expected object, received number; prefer: Invalid enum value.*)$/],
    ['type.json', '{"checks": {"timeoutMs": "ten"}}', /type\.json: checks\.timeoutMs: Expected number, received string/],
    ['enum.yaml', 'prefer: sometimes\n', /enum\.yaml: prefer: Invalid enum value/],
    ['sum.json', '{"checksums": {"https://x/y": "abc"}}', /sum\.json: checksums\.https:\/\/x\/y: expected a sha256/],
    ['top.json', '[1,2]', /top\.json: the top level must be an object/],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects ${name} with the file and key named`, async () => {
      const dir = await layout({ [name]: text });
      try {
        await assert.rejects(loadConfig({ userConfigDir: path.join(dir, 'none'), root: null, explicit: path.join(dir, name) }), (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          assert.equal(e.exitCode, 2);
          assert.match(e.message, re);
          return true;
        });
      } finally {
        await rmrf(dir);
      }
    });
  }

  it('an explicit file that does not exist is named', async () => {
    await assert.rejects(loadConfig({ userConfigDir: '/nonexistent', root: null, explicit: '/nonexistent/devenv.json' }), /\/nonexistent\/devenv\.json: file not found/);
  });
});

describe('mirrors', () => {
  const config = {
    prefer: 'upstream' as const,
    mirrors: { urls: { 'https://storage.googleapis.com/': 'http://127.0.0.1:9/gcs/', 'https://storage.googleapis.com/istio-build/': 'http://m/ib/' }, images: { 'gcr.io/distroless/': 'cistio/distroless-' } },
  };
  it('rewrites with the longest matching prefix', () => {
    assert.equal(mirrorUrl('https://storage.googleapis.com/istio-build/proxy/envoy.tar.gz', config), 'http://m/ib/proxy/envoy.tar.gz');
    assert.equal(mirrorUrl('https://storage.googleapis.com/kubernetes-release/k', config), 'http://127.0.0.1:9/gcs/kubernetes-release/k');
    assert.equal(mirrorUrl('https://go.dev/dl/', config), undefined);
  });
  it('orders candidates by prefer', () => {
    const u = 'https://storage.googleapis.com/a';
    assert.deepEqual(candidateUrls(u, config), [u, 'http://127.0.0.1:9/gcs/a']);
    assert.deepEqual(candidateUrls(u, { ...config, prefer: 'mirror' }), ['http://127.0.0.1:9/gcs/a', u]);
  });
  it('maps images', () => {
    assert.equal(mirrorImage('gcr.io/distroless/static:latest', config), 'cistio/distroless-static:latest');
    assert.equal(mirrorImage('docker.io/istio/base:1.4', config), undefined);
  });
});

describe('unreadable config files (issue 9)', () => {
  it('a repo config path that exists but cannot be read as a file is an error naming it (exit 2), not "absent"', async () => {
    const dir = await tempDir('devenv-cfg-');
    try {
      // A directory where the file should be reads as EISDIR even for root.
      await fs.mkdir(path.join(dir, '.devenvrc.json'));
      await assert.rejects(
        loadConfig({ userConfigDir: path.join(dir, 'none'), root: dir }),
        (e: unknown) => e instanceof ConfigError && e.exitCode === 2 && e.message.startsWith(`${path.join(dir, '.devenvrc.json')}: cannot read`),
      );
    } finally {
      await rmrf(dir);
    }
  });
});
