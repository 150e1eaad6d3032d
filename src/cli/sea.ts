/**
 * The single executable's entry (dist/sea.cjs, see scripts/package.ts). The
 * bundles, their code caches, package.json and the oclif manifest are SEA
 * assets; nothing is read from beside the binary and nothing is written.
 */
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';
import sea from 'node:sea';
import { cacheName, createLoader, type BundleName } from './loader.js';
import { launch } from './launch.js';

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
launch(loader, { root, pjson: JSON.parse(asset('package.json')) as { name: string; version: string }, manifest: () => JSON.parse(asset('oclif.manifest.json')), host: builtins });
