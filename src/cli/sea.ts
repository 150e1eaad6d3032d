/**
 * The single executable's entry (dist/sea.cjs, see scripts/package.ts). The
 * bundles, their code caches, package.json and the oclif manifest are SEA
 * assets; nothing is read from beside the binary and nothing is written.
 */
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import sea from 'node:sea';
import { cacheName, createLoader, type BundleName } from './loader.js';
import { tuneForRun } from './tune.js';
import type { MainOptions, NotFoundModule } from './main.js';

const asset = (key: string): string => sea.getAsset(key, 'utf8');
const root = path.dirname(process.execPath);
const builtins = createRequire(process.execPath);
const loader = createLoader(
  {
    code: (name: BundleName) => asset(name),
    cache: (name: BundleName) => {
      try {
        return Buffer.from(sea.getAsset(cacheName(name)));
      } catch {
        return undefined;
      }
    },
    filename: (name: BundleName) => path.join(root, name),
  },
  // Nothing but node's builtins exists for a single executable; anything else
  // (oclif probing for optional files) gets the usual "not found".
  (id: string) => {
    if (isBuiltin(id)) return builtins(id);
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  },
);
const argv = process.argv.slice(2);
const pjson = JSON.parse(asset('package.json')) as { name: string; version: string };
if (argv.length === 1 && argv[0] === '--version') {
  // oclif's userAgent line, without loading oclif (as bin/run.js does).
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const core = loader.require('core.cjs') as { main: (o: MainOptions) => Promise<void> };
  void core.main({
    argv,
    root,
    pjson: pjson as unknown as MainOptions['pjson'],
    manifest: JSON.parse(asset('oclif.manifest.json')),
    commands: () => (loader.require('commands.cjs') as { COMMANDS: ReturnType<MainOptions['commands']> }).COMMANDS,
    notFound: () => loader.require('not-found.cjs') as unknown as NotFoundModule,
    onCommand: (id) => tuneForRun(id, builtins),
  });
}
