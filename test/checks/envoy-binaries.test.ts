import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { envoyBinaries } from '../../checks/envoy-binaries.js';
import type { IstioContext } from '../../src/istio/project.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree, serveArtifacts, upstreamArtifacts, type IstioTree } from '../helpers/fixtures.js';
import { startServer, type TestServer } from '../helpers/http.js';

async function fix(ctx: IstioContext): Promise<void> {
  const before = await envoyBinaries.run(ctx);
  const plan = await envoyBinaries.fix(ctx);
  for (const s of plan.steps) await s.run!(ctx);
  void before;
}

describe('envoy-binaries', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  let server: TestServer;
  before(async () => {
    t = await tempEnv();
    server = await startServer();
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  async function ctxFor(tree: IstioTree, extra: Record<string, string> = {}, arch = 'amd64') {
    const cfg = await serveArtifacts(path.dirname(tree.root), server.url, server.routes, upstreamArtifacts(tree, arch, { debug: Boolean(extra.DEBUG_IMAGE) }));
    const env = { ...t.env, DEVENV_CONFIG: cfg, ...(tree.gopath ? { GOPATH: tree.gopath } : {}), ...(arch !== 'amd64' ? { TARGET_ARCH: arch } : {}), ...extra };
    return testContext({ env, dir: tree.root, platform: 'linux', arch: 'x64' });
  }

  /** Where the family's Makefile keeps the stamp of its last bin/init.sh run: $(ISTIO_OUT) / $(TARGET_OUT) on amd64. */
  const stampOf = (tree: IstioTree) =>
    tree.gopath ? path.join(tree.gopath, 'out/linux_amd64/release/istio_is_init') : path.join(tree.root, 'out/linux_amd64/istio_is_init');
  /** As after a `make init`: the stamp newer than bin/init.sh and istio.deps, so make will not run the script again. */
  async function stamp(tree: IstioTree): Promise<void> {
    await fs.mkdir(path.dirname(stampOf(tree)), { recursive: true });
    await fs.writeFile(stampOf(tree), '');
  }

  // What each family's bin/init.sh leaves for Envoy: versioned files, copies beside them (1.3+), $ISTIO_OUT/envoy,
  // $ISTIO_BIN/envoy (≤1.4), envoy-centos (1.8–1.18). On 1.3/1.4 release/envoy is $ISTIO_OUT/envoy itself.
  const expected: Record<string, number> = { '1.1': 4, '1.2-1.3': 5, '1.4': 5, '1.5': 3, '1.6-1.7': 3, '1.8-1.16': 6, '1.18': 6, '1.20+': 3, master: 3 };
  // Without the stamp, make runs init.sh before it builds, and the copies the script makes on every run are its own:
  // only what its downloads leave (versioned files, the copies beside them) is devenv's — less a copy beside that a
  // later copy overwrites (1.3/1.4's release/envoy is $ISTIO_OUT/envoy, the debug build once make has run).
  const downloads: Record<string, number> = { '1.1': 2, '1.2-1.3': 3, '1.4': 3, '1.5': 2, '1.6-1.7': 2, '1.8-1.16': 4, '1.18': 4, '1.20+': 2, master: 2 };
  for (const family of FAMILIES) {
    it(`${family}: fails listing every file init.sh's downloads leave, fix places them and leaves the script's later copies to make while it will run the script; with the stamp, those copies too`, async () => {
      const tree = await makeIstioTree(path.join(t.dir, `fam-${family}`), family);
      const ctx = await ctxFor(tree);
      const r = await envoyBinaries.run(ctx);
      assert.equal(r.status, 'fail');
      assert.match(r.summary, new RegExp(`^${downloads[family]} of ${downloads[family]} Envoy files missing`), r.summary);
      assert.match(String(r.source), /^istio\.deps:\d+$/);
      assert.ok(r.details?.some((d) => /^make runs bin\/init\.sh before it builds \(.*istio_is_init is absent; Makefile(\.core\.mk)?:\d+\)/.test(d)), r.details?.join('\n'));
      const plan = await envoyBinaries.fix(ctx);
      assert.match(plan.steps[0].describe, /leave the copies to .* to make, which runs bin\/init\.sh before it builds/);
      for (const st of plan.steps) await st.run!(ctx);
      const ok = await envoyBinaries.run(ctx.fresh());
      assert.equal(ok.status, 'ok', `${ok.summary}\n${ok.details?.join('\n')}`);
      assert.match(ok.summary, /make runs it first, which makes its (copy|\d copies) to /);
      assert.match(String(ok.found), /^\d+ of \d+ present; make init makes its (copy|copies)$/);
      // The copies left to make are not made.
      const placedPaths = new Set((ok.details ?? []).filter((d) => d.startsWith('present ')).map((d) => d.slice('present '.length)));
      const left = (ok.details ?? []).flatMap((d) => /^then \S+: cp \S+ (\S+) \(made by make itself\)$/.exec(d)?.[1] ?? []);
      assert.ok(left.length >= 1, ok.details?.join('\n'));
      assert.equal(placedPaths.size, downloads[family], ok.details?.join('\n'));
      for (const p of left) await assert.rejects(fs.access(p), `${p} was made by devenv`);

      // Once make has run init.sh (its stamp newer than the script and istio.deps), the copies are needed in place.
      await stamp(tree);
      const need = await envoyBinaries.run(ctx.fresh());
      assert.equal(need.status, 'fail', need.summary);
      const requests = server.log.length;
      await fix(ctx.fresh());
      assert.equal(server.log.length, requests, 'placing the copies downloaded something');
      const all = await envoyBinaries.run(ctx.fresh());
      assert.equal(all.status, 'ok', `${all.summary}\n${all.details?.join('\n')}`);
      assert.doesNotMatch(all.summary, /make runs it first/);
      assert.equal((all.details ?? []).filter((d) => d.startsWith('present ')).length, expected[family], all.details?.join('\n'));

      // istio.deps edited after the stamp (a new PROXY_REPO_SHA): make runs init.sh again, so its copies are its own again.
      const future = new Date(Date.now() + 60_000);
      await fs.utimes(path.join(tree.root, 'istio.deps'), future, future);
      const again = await envoyBinaries.run(ctx.fresh());
      assert.ok(again.details?.some((d) => /^make runs bin\/init\.sh before it builds \(istio\.deps is newer than .*istio_is_init; /.test(d)), again.details?.join('\n'));
    });
  }

  it('1.1/1.2 are not asked for an `envoy` copy beside the versioned files (their init.sh makes none)', async () => {
    for (const minor of [1, 2]) {
      const tree = await makeIstioTree(path.join(t.dir, `nobeside-${minor}`), minor === 1 ? '1.1' : '1.2-1.3', { minor });
      await stamp(tree); // make init ran once: the script's later copies are wanted too
      const r = await envoyBinaries.run(await ctxFor(tree));
      const missing = (r.details ?? []).filter((d) => d.startsWith('missing '));
      // ($ISTIO_OUT is out/linux_amd64/release there, so release/envoy is the $ISTIO_OUT/envoy copy init.sh does make.)
      assert.equal(missing.length, 4, missing.join('\n'));
      assert.ok(!missing.some((d) => d.endsWith('/debug/envoy')), missing.join('\n'));
    }
  });

  it('issue 12 #6: on 1.4 $ISTIO_OUT/envoy is the debug build after every fix (copies placed in init.sh order), and a release build there is caught', async () => {
    const tree = await makeIstioTree(path.join(t.dir, 'r14'), '1.4');
    const out = path.join(tree.gopath!, 'out/linux_amd64/release');
    for (let i = 0; i < 5; i++) {
      await fs.rm(path.join(tree.gopath!, 'out'), { recursive: true, force: true });
      await fs.rm(path.join(tree.gopath!, 'bin'), { recursive: true, force: true });
      await stamp(tree); // as after a make init whose outputs were then removed: make will not copy them again
      const ctx = await ctxFor(tree);
      await fix(ctx);
      assert.match(await fs.readFile(path.join(out, 'envoy'), 'utf8'), /envoy debug/, `run ${i}: $ISTIO_OUT/envoy is not the debug build`);
      assert.match(await fs.readFile(path.join(tree.gopath!, 'bin/envoy'), 'utf8'), /envoy debug/, `run ${i}: $ISTIO_BIN/envoy`);
    }
    // The release build where make init leaves the debug one: the check names the copy and the fix puts it right without downloading.
    await fs.copyFile(path.join(out, `envoy-${tree.proxySha}`), path.join(out, 'envoy'));
    const ctx = await ctxFor(tree);
    const bad = await envoyBinaries.run(ctx);
    assert.equal(bad.status, 'fail');
    assert.match(bad.summary, /envoy is not what make init leaves there: bin\/init\.sh:\d+ copies .*envoy-debug-/);
    const requests = server.log.length;
    await fix(ctx);
    assert.equal(server.log.length, requests, 'the fix downloaded although every tarball was in place');
    assert.match(await fs.readFile(path.join(out, 'envoy'), 'utf8'), /envoy debug/);
    assert.equal((await envoyBinaries.run(ctx.fresh())).status, 'ok');
    // Same size, different bytes: still caught.
    const debug = await fs.readFile(path.join(out, 'envoy'));
    const other = Buffer.from(debug);
    other[other.length - 2] ^= 1;
    await fs.writeFile(path.join(out, 'envoy'), other);
    assert.equal((await envoyBinaries.run(ctx.fresh())).status, 'fail');
  });

  it('arm64 targets get the -arm64 Envoy from 1.16 (the branch init.sh takes), under out/linux_arm64', async () => {
    for (const family of ['1.8-1.16', '1.20+', 'master'] as const) {
      const tree = await makeIstioTree(path.join(t.dir, `arm-${family}`), family);
      const ctx = await ctxFor(tree, {}, 'arm64');
      const r = await envoyBinaries.run(ctx);
      const release = (r.details ?? []).find((d) => d.startsWith('envoy release:'))!;
      assert.match(release, new RegExp(`envoy-alpha-${tree.proxySha}-arm64\\.tar\\.gz`), release);
      assert.match(release, /out\/linux_arm64\/release\/envoy-/);
      assert.match(r.required ?? '', /linux_arm64/);
      await fix(ctx);
      assert.match(await fs.readFile(path.join(tree.root, 'out/linux_arm64/release/envoy'), 'utf8'), /envoy release arm64/);
    }
    // amd64: no suffix.
    const amd = await makeIstioTree(path.join(t.dir, 'amd-1.20'), '1.20+');
    const r = await envoyBinaries.run(await ctxFor(amd));
    assert.match((r.details ?? []).find((d) => d.startsWith('envoy release:'))!, new RegExp(`envoy-alpha-${amd.proxySha}\\.tar\\.gz`));
  });

  it('DEBUG_IMAGE gates the debug build from 1.5; master reads blob.istio.io', async () => {
    const tree = await makeIstioTree(path.join(t.dir, 'dbg'), '1.5');
    const plain = await envoyBinaries.run(await ctxFor(tree));
    assert.match(plain.required ?? '', /\(release\)/);
    const dbg = await envoyBinaries.run(await ctxFor(tree, { DEBUG_IMAGE: '1' }));
    assert.match(dbg.required ?? '', /\(debug \+ release\)/);
    const master = await makeIstioTree(path.join(t.dir, 'mst'), 'master');
    const m = await envoyBinaries.run(await ctxFor(master));
    assert.match((m.details ?? []).join('\n'), /https:\/\/blob\.istio\.io\/istio-build\/proxy\/envoy-alpha-/);
  });

  it('an s3:// base URL: the failure names the mirrors.urls rule to add; with the rule the fix downloads from the mirror', async () => {
    const tree = await makeIstioTree(path.join(t.dir, 's3'), 'master');
    const ctx = await ctxFor(tree, { ISTIO_ENVOY_BASE_URL: 's3://istio-build/proxy' });
    const r = await envoyBinaries.run(ctx);
    assert.equal(r.status, 'fail');
    assert.match(r.summary, /s3:\/\/istio-build\/proxy\/envoy-alpha-.*env ISTIO_ENVOY_BASE_URL/);
    assert.match(r.hint ?? '', /mirrors\.urls rule .*"s3:\/\/istio-build\/proxy\/": "https:\/\/<your mirror>\/istio-build\/proxy\/"/);
    await assert.rejects(envoyBinaries.fix(ctx), /s3:\/\/.*mirrors\.urls|HTTP\(S\) only/);

    const art = upstreamArtifacts(tree).find((a) => a.url.includes('envoy-alpha'))!;
    const cfg = path.join(t.dir, 's3.json');
    await fs.writeFile(cfg, JSON.stringify({ mirrors: { urls: { 's3://istio-build/proxy/': `${server.url}/blob/istio-build/proxy/` } } }));
    void art;
    const withRule = await testContext({ env: { ...t.env, DEVENV_CONFIG: cfg, ISTIO_ENVOY_BASE_URL: 's3://istio-build/proxy' }, dir: tree.root, platform: 'linux', arch: 'x64' });
    await fix(withRule);
    assert.equal((await envoyBinaries.run(withRule.fresh())).status, 'ok');
  });
});
