/**
 * bin/run.js's start-up (dist/boot.cjs): loads dist/core.cjs through the code
 * cache and hands oclif the package.json; a command's bundle (dist/cmd-<id>.cjs)
 * loads when that command runs.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheName, createLoader, type BundleName } from './loader.js';
import { tuneForRun } from './tune.js';
import type { MainOptions, NotFoundModule } from './main.js';

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
const argv = process.argv.slice(2);
const pjson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
if (argv.length === 1 && argv[0] === '--version') {
  // The answer oclif would print (its userAgent), without loading oclif: `devenv --version` costs a node start-up and no more.
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const core = loader.require('core.cjs') as { main: (o: MainOptions) => Promise<void> };
  void core.main({
    argv,
    root,
    pjson: pjson as unknown as MainOptions['pjson'],
    commands: () => (loader.require('commands.cjs') as { COMMANDS: ReturnType<MainOptions['commands']> }).COMMANDS,
    notFound: () => loader.require('not-found.cjs') as unknown as NotFoundModule,
    onCommand: (id) => tuneForRun(id, host),
  });
}
