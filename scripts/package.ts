/**
 * npm run package: a single executable (Node's SEA) at dist/devenv-<platform>-<arch>
 * that runs without node or node_modules. Needs `npm run build` first (the
 * npm script runs it). The binary is a copy of the node running this script
 * with a blob injected by postject: dist/sea.cjs as the main script, and as
 * assets the bundles (core, commands, not-found, cmd-*, lib-*), their V8 code
 * caches (made by this same node, so V8 accepts them), package.json and
 * oclif.manifest.json.
 *
 *   npm run package                # for this machine's platform and arch
 *
 * Other platforms: run it there with Node 20.12+ (see README "Install").
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'postject';
import { BUNDLES, cacheName } from '../src/cli/loader.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(repo, 'dist');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
}

async function main(): Promise<void> {
  const cmdBundles = fs.existsSync(dist) ? fs.readdirSync(dist).filter((f) => /^cmd-[a-z0-9-]+\.cjs$/.test(f)) : [];
  // and the libraries commands import() on demand (scripts/build.ts LIBS)
  const libBundles = fs.existsSync(dist) ? fs.readdirSync(dist).filter((f) => /^lib-[a-z0-9-]+\.cjs$/.test(f)) : [];
  const bundles = [...BUNDLES, ...cmdBundles, ...libBundles];
  const need = ['sea.cjs', ...bundles, ...bundles.map((b) => cacheName(b))];
  const missing = need.filter((f) => !fs.existsSync(path.join(dist, f)));
  if (missing.length) throw new Error(`dist/ lacks ${missing.join(', ')} for node ${process.version}: run \`npm run build\` with this node first`);

  const exe = process.platform === 'win32' ? '.exe' : '';
  const out = path.join(dist, `devenv-${process.platform}-${process.arch}${exe}`);
  const work = fs.mkdtempSync(path.join(dist, '.sea-')); // same filesystem: the rename below is atomic
  try {
    const blob = path.join(work, 'sea-prep.blob');
    const assets: Record<string, string> = {
      'package.json': path.join(repo, 'package.json'),
      'oclif.manifest.json': path.join(repo, 'oclif.manifest.json'),
    };
    for (const f of need.filter((n) => n !== 'sea.cjs')) assets[f] = path.join(dist, f);
    const config = path.join(work, 'sea-config.json');
    fs.writeFileSync(config, JSON.stringify({ main: path.join(dist, 'sea.cjs'), output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }, null, 2));
    run(process.execPath, ['--experimental-sea-config', config]);

    const tmpOut = path.join(work, path.basename(out));
    fs.copyFileSync(process.execPath, tmpOut);
    fs.chmodSync(tmpOut, 0o755);
    if (process.platform === 'darwin') run('codesign', ['--remove-signature', tmpOut]);
    await inject(tmpOut, 'NODE_SEA_BLOB', fs.readFileSync(blob), {
      sentinelFuse: FUSE,
      ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
    if (process.platform === 'darwin') run('codesign', ['--sign', '-', tmpOut]);
    fs.renameSync(tmpOut, out);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.error(`built ${path.relative(repo, out)} (${(fs.statSync(out).size / 1024 / 1024).toFixed(0)} MiB, node ${process.version})`);
}

await main();
