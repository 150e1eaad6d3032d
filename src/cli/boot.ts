/**
 * bin/run.js's start-up (dist/boot.cjs): loads dist/core.cjs through the code
 * cache and hands oclif the package.json; a command's bundle (dist/cmd-<id>.cjs)
 * loads when that command runs.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheName, createLoader, type BundleName } from './loader.js';
import { launch } from './launch.js';

const dist = __dirname;
const root = path.dirname(dist);
const host = createRequire(path.join(dist, 'boot.cjs'));
const loader = createLoader(
  {
    code: (name: BundleName) => fs.readFileSync(path.join(dist, name), 'utf8'),
    cache: (name: BundleName) => {
      try {
        return fs.readFileSync(path.join(dist, cacheName(name)));
      } catch {
        return undefined;
      }
    },
    filename: (name: BundleName) => path.join(dist, name),
  },
  host,
);
launch(loader, { root, pjson: JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string }, host });
