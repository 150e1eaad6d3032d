import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import which from 'which';
import { istioFixture, runCli, tempEnv } from '../helpers/env.js';

/**
 * Plants every secret form issue 12 names and greps every output mode:
 * text, --json, --dry-run (text and JSON: steps[].command.args), errors, info.
 * Nothing here leaves the machine: every URL is loopback or under .invalid.
 */
describe('planted secrets never reach any output', () => {
  it('userinfo with and without a password (mirrors.urls, GOPROXY, go.proxy), gem.source, proxy credentials, AUTH_HEADER', async () => {
    const t = await tempEnv();
    try {
      const S = {
        mirrorPw: 'm1rr0r-passw0rd',
        mirrorToken: 'ghp_T0kenAsUserName',
        goproxyToken: 'gopr0xy-t0ken-user',
        goProxyCfg: 'cfg-g0proxy-t0ken',
        gemPw: 'g3m-s0urce-pw',
        proxyPw: 'pr0xy-pw-planted',
        authHeader: 'Bearer-planted-auth-h3ader',
      };
      const root = await istioFixture(path.join(t.dir, 'istio'), { go: '1.99', goVersionRequired: null });
      await fs.writeFile(
        path.join(root, '.devenvrc.json'),
        JSON.stringify({
          mirrors: { urls: { 'https://go.dev/dl/': `http://mirroruser:${S.mirrorPw}@127.0.0.1:9/dl/`, 'https://storage.googleapis.com/': `http://${S.mirrorToken}@127.0.0.1:9/gcs/` } },
          prefer: 'mirror-only',
          go: { proxy: `https://${S.goProxyCfg}@goproxy.invalid/` },
          gem: { source: `https://gemuser:${S.gemPw}@gems.invalid/` },
          download: { retries: 0 },
        }),
      );
      const env = {
        ...t.env,
        GOPROXY: `https://${S.goproxyToken}@goproxy.invalid/`,
        HTTPS_PROXY: `http://pxuser:${S.proxyPw}@127.0.0.1:9`,
        NO_PROXY: '127.0.0.1',
        AUTH_HEADER: `Authorization: ${S.authHeader}`,
        DOCKER_HOST: 'unix:///nonexistent/docker.sock',
        PATH: path.join(t.dir, 'nobin'),
      };
      await fs.mkdir(env.PATH, { recursive: true });
      // ruby (fpm's prerequisite) is real, so that fpm's fix is planned: its gem command carries gem.source.
      const ruby = await which('ruby', { nothrow: true });
      if (process.env.CI === 'true') assert.ok(ruby, 'ruby is required under CI=true');
      if (ruby) await fs.symlink(ruby, path.join(env.PATH, 'ruby'));
      const runs = await Promise.all([
        runCli(['doctor', '--dir', root, '--timeout', '8'], { env }),
        runCli(['doctor', '--json', '--dir', root, '--timeout', '8'], { env }),
        runCli(['fix', 'go-version', 'fpm', '--dry-run', '--dir', root], { env }),
        runCli(['fix', 'go-version', 'fpm', '--dry-run', '--json', '--dir', root], { env }),
        runCli(['fix', 'go-version', '--yes', '--dir', root], { env }),
        runCli(['info', '--dir', root], { env }),
        runCli(['info', '--json', '--dir', root], { env }),
        runCli(['doctor', '--dir', root, '--config', path.join(t.dir, 'missing.json')], { env }),
      ]);
      // The runs did what they should: a plan, a failure naming the (redacted) mirror.
      const dryJson = JSON.parse(runs[3].stdout);
      const fpm = dryJson.fixes.find((f: { id: string }) => f.id === 'fpm');
      if (ruby) assert.ok(fpm.steps[0].command.args.some((a: string) => a.includes('gemuser:***@gems.invalid')), JSON.stringify(fpm.steps));
      assert.match(runs[4].stdout + runs[4].stderr, /http:\/\/mirroruser:\*\*\*@127\.0\.0\.1:9\/dl\//);
      assert.match(JSON.parse(runs[1].stdout).network.proxy, /pxuser:\*\*\*@127\.0\.0\.1:9/);
      for (const [i, r] of runs.entries()) {
        const all = r.stdout + r.stderr;
        for (const [name, s] of Object.entries(S)) assert.ok(!all.includes(s), `run ${i}: secret ${name} leaked in:\n${all.slice(0, 3000)}`);
      }
    } finally {
      await t.cleanup();
    }
  });
});
