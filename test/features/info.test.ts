import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatherInfo, renderMarkdown } from '../../src/features/info.js';
import { requireReal } from '../helpers/daemons.js';
import { tempEnv, testContext } from '../helpers/env.js';

/** The real docker client on PATH, if any (Debian's docker.io in CI). */
async function dockerOnPath(): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'docker');
    if (await fs.access(p, fs.constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

describe('info', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('with no daemon at DOCKER_HOST: the docker client still has its version, and the server row says why it has none', async (tc) => {
    if (!requireReal(tc, 'the docker client', await dockerOnPath())) return;
    const sock = path.join(t.dir, 'no-daemon.sock');
    const ctx = await testContext({ env: { ...t.env, DOCKER_HOST: `unix://${sock}` }, dir: t.dir });
    const info = await gatherInfo(ctx, '0.0.0-test', []);
    assert.match(String(info.tools['docker client']), /^\d+\.\d+\.\d+/, `docker client: ${info.tools['docker client']}`);
    assert.match(String(info.tools['docker server']), /^error: .*no-daemon\.sock/, `docker server: ${info.tools['docker server']}`);
  });

  it("a tool that fails says what it printed, with secrets redacted, and one that is missing is '—'", async () => {
    const bin = path.join(t.dir, 'bin');
    await fs.mkdir(bin, { recursive: true });
    // fpm --version failing the way a broken gem install does, printing a token from the environment
    await fs.writeFile(path.join(bin, 'fpm'), '#!/bin/sh\necho "fpm: cannot load such file -- cabin (token $GITHUB_TOKEN)" >&2\nexit 1\n', { mode: 0o755 });
    const env = { ...t.env, PATH: `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`, GITHUB_TOKEN: 'ghp_infotestsecret000000000000000000000' };
    const ctx = await testContext({ env, dir: t.dir });
    const info = await gatherInfo(ctx, '0.0.0-test', []);
    assert.match(String(info.tools.fpm), /^error: fpm: cannot load such file -- cabin/);
    assert.equal(info.tools.helm, null, 'helm is not installed here');
    const md = renderMarkdown(info, ctx);
    assert.match(md, /\| fpm \| error: fpm: cannot load such file -- cabin/);
    assert.doesNotMatch(md, /ghp_infotestsecret/);
    assert.match(md, /\| helm \| — \|/);
  });
});
