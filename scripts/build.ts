/**
 * npm run build: bundles the CLI with esbuild into CommonJS files in dist/, so
 * nothing under node_modules is needed at run time, then writes oclif's
 * manifest and a V8 code cache beside each bundle.
 *
 *   dist/boot.cjs      what bin/run.js loads: reads package.json, loads core.cjs
 *   dist/core.cjs      @oclif/core and src/cli/main.ts: enough for --version and --help
 *   dist/commands.cjs  the explicit oclif command map (as src/cli/commands.ts):
 *                      each entry loads its command's bundle on first use
 *   dist/cmd-<id>.cjs  one command (src/commands/<id>.ts) and everything it
 *                      imports; loaded when that command runs
 *   dist/not-found.cjs an unknown command (src/cli/not-found.ts): did-you-mean,
 *                      exit 127; loaded only then
 *   dist/lib-<name>.cjs a library the commands import() only when a run needs
 *                      it (yaml, zod, tar, node-fetch, the proxy agents,
 *                      @inquirer/prompts, ora; LIBS below); loaded then
 *   dist/sea.cjs       the single executable's entry (scripts/package.ts)
 *   dist/<bundle>.<node version>-<arch>.v8cache   read by src/cli/loader.ts
 *                      (lib-*.cjs's are made under the V8 flags the long
 *                      commands set before they load one, src/cli/tune.ts:
 *                      V8 accepts a cache only under the flags it was made with)
 *
 * Every bundle but boot.cjs and sea.cjs is written as a call of the CommonJS
 * wrapper function (loader.ts WRAP_HEAD/WRAP_TAIL): the loader compiles a slice
 * of the file's text, never a second, wrapped copy of it, and node's require
 * still runs the file as a module.
 *
 * `typescript` stays external (nothing requires it at run time).
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import v8 from 'node:v8';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLES, cacheName, createLoader, WRAP_HEAD, WRAP_TAIL, type BundleName } from '../src/cli/loader.js';
import type { MainOptions, NotFoundModule } from '../src/cli/main.js';
import { RUN_V8_FLAGS } from '../src/cli/tune.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(repo, 'dist');

/**
 * Libraries the commands load only with `await import()` when a run needs
 * them (a YAML file, a config file, a Go tarball, a download, a question or a
 * spinner on a terminal): each is its own bundle, dist/lib-<name>.cjs, which
 * the loader compiles on that first import. Inside a command's bundle they
 * would cost their text and code cache in every run (issue 14: ~1.4 MiB of
 * peak RSS in doctor and fix). `true`: the library has a default export.
 * A static import of one of them (none today) still bundles it in place.
 */
const LIBS: Record<string, boolean> = {
  yaml: true,
  zod: false,
  tar: false,
  'node-fetch': true,
  'https-proxy-agent': false,
  'http-proxy-agent': false,
  '@inquirer/prompts': false,
  ora: true,
};
const libBundle = (name: string): BundleName => `lib-${name.replace(/^@/, '').replace(/\//g, '-')}.cjs`;
/** A module re-exporting the library's bundle: what `import(name)` gives, as if bundled in place. */
const reexport = (from: string, dflt: boolean): string => `export * from '${from}';${dflt ? ` export { default } from '${from}';` : ''}\n`;
const libsApart: Plugin = {
  name: 'libs-apart',
  setup(b) {
    b.onResolve({ filter: /^(?:@[\w-]+\/)?[\w-]+$/ }, (a) => (a.kind === 'dynamic-import' && a.path in LIBS ? { path: a.path, namespace: 'lib-apart' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lib-apart' }, (a) => ({ contents: reexport(`./${libBundle(a.path)}`, LIBS[a.path]), loader: 'js' }));
    b.onResolve({ filter: /^\.\/lib-[a-z0-9-]+\.cjs$/ }, (a) => ({ path: a.path, external: true }));
  },
};

/** In commands.cjs, @oclif/core is the copy inside core.cjs (one oclif, one Command class). */
const oclifFromCore: Plugin = {
  name: 'oclif-from-core',
  setup(b) {
    b.onResolve({ filter: /^@oclif\/core$/ }, () => ({ path: './core.cjs', external: true }));
  },
};

/**
 * Dependencies of dependencies that cost start-up time or memory for nothing
 * devenv uses (src/cli/shims/): oclif's `debug` (loads the real one only when
 * DEBUG is set) and tinyglobby (only for the "pattern" command strategy);
 * @inquirer/prompts' editor prompt (its external-editor brings iconv-lite and
 * chardet, ~540 KiB of every bundle that can prompt, which V8 holds as text
 * for as long as the command runs) and fetch-blob's web-streams-polyfill (only
 * before Node 16.5: ~120 KiB); and string-width 7's Intl.Segmenter, made
 * only for text that is not plain ASCII (src/cli/shims/string-width.cjs).
 */
const SHIMMED: Record<string, string> = {
  debug: 'debug.cjs',
  tinyglobby: 'tinyglobby.cjs',
  '@inquirer/editor': 'inquirer-editor.cjs',
  'web-streams-polyfill/dist/ponyfill.es2018.js': 'web-streams-polyfill.cjs',
};
const STRING_WIDTH = path.join(repo, 'src/cli/shims/string-width.cjs');
const shims: Plugin = {
  name: 'shims',
  setup(b) {
    // string-width 7 (the reporters', wrap-ansi's, ora's; not oclif's string-width 4): measured without ICU for plain ASCII
    b.onResolve({ filter: /^string-width$/ }, async (a) => {
      if (a.importer === STRING_WIDTH || a.pluginData === 'as-is') return undefined;
      const r = await b.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer, pluginData: 'as-is' });
      return r.path === path.join(repo, 'node_modules/string-width/index.js') ? { path: STRING_WIDTH } : undefined;
    });
    b.onResolve({ filter: /^(debug|tinyglobby|@inquirer\/editor|web-streams-polyfill\/dist\/ponyfill\.es2018\.js)$/ }, (a) => ({ path: path.join(repo, 'src/cli/shims', SHIMMED[a.path]) }));
  },
};

/**
 * In core.cjs only: oclif's Plugin.load sorts the command ids with
 * localeCompare, whose first use makes V8 load ICU's collator (~2 MiB of peak
 * RSS in every command, issue 14). devenv's ids are lower-case ASCII words
 * joined by ':', which the collator and a code-unit comparison put in the same
 * order: the build checks that for every id in the manifest (main, below).
 */
const ORDINAL = '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));';
const oclifSortWithoutCollator: Plugin = {
  name: 'oclif-sort-without-collator',
  setup(b) {
    b.onLoad({ filter: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/ }, (a) => {
      const text = fs.readFileSync(a.path, 'utf8');
      const out = text.replace('.sort((a, b) => a.id.localeCompare(b.id));', ORDINAL);
      if (out === text) throw new Error(`${a.path}: oclif no longer sorts commands with localeCompare as this build expects (scripts/build.ts)`);
      return { contents: out, loader: 'js' };
    });
  },
};

/** In core.cjs only: oclif's start-up needs semver.satisfies, not all of semver. */
const semverCore: Plugin = {
  name: 'semver-core',
  setup(b) {
    b.onResolve({ filter: /^semver$/ }, () => ({ path: path.join(repo, 'src/cli/shims/semver-core.cjs') }));
  },
};

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['typescript'],
  legalComments: 'none',
  logLevel: 'warning',
  // No identifier minifying: class and error names stay readable in output.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [shims],
};

/** The bundles the loader compiles: the CommonJS wrapper function and its call around the code (esbuild puts a newline either side of the code). */
const wrapped: BuildOptions = { ...common, banner: { js: WRAP_HEAD }, footer: { js: WRAP_TAIL.trim() } };

/** Command ids as oclif names them (src/commands/env/init.ts → env:init; a topic's own command is its index.ts), with their sources. */
function commandSources(): { id: string; file: string; bundle: string }[] {
  const dir = path.join(repo, 'src/commands');
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => {
      const words = f.slice(0, -3).split(path.sep);
      if (words.length > 1 && words.at(-1) === 'index') words.pop(); // src/commands/autocomplete/index.ts → autocomplete
      const id = words.join(':');
      return { id, file: path.join(dir, f), bundle: `cmd-${id.replace(/:/g, '-')}.cjs` };
    });
}

async function main(): Promise<void> {
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });
  const cmds = commandSources();
  // The command map: a getter per command, so running one loads only its bundle.
  fs.writeFileSync(
    path.join(dist, 'commands.cjs'),
    `${WRAP_HEAD}'use strict';\n// The explicit oclif command map (scripts/build.ts; the same commands as src/cli/commands.ts).\nconst COMMANDS = {};\n` +
      cmds.map((c) => `Object.defineProperty(COMMANDS, ${JSON.stringify(c.id)}, { enumerable: true, get: () => require(${JSON.stringify(`./${c.bundle}`)}).default });\n`).join('') +
      `exports.COMMANDS = COMMANDS;${WRAP_TAIL}`,
  );
  await Promise.all([
    build({ ...wrapped, entryPoints: [path.join(repo, 'src/cli/main.ts')], outfile: path.join(dist, 'core.cjs'), plugins: [shims, semverCore, oclifSortWithoutCollator] }),
    ...cmds.map((c) => build({ ...wrapped, entryPoints: [c.file], outfile: path.join(dist, c.bundle), plugins: [shims, oclifFromCore, libsApart] })),
    ...Object.entries(LIBS).map(([name, dflt]) =>
      build({ ...wrapped, stdin: { contents: reexport(name, dflt), resolveDir: repo, sourcefile: `${name}.js` }, outfile: path.join(dist, libBundle(name)) }),
    ),
    build({ ...wrapped, entryPoints: [path.join(repo, 'src/cli/not-found.ts')], outfile: path.join(dist, 'not-found.cjs'), plugins: [shims, oclifFromCore] }),
    build({ ...common, entryPoints: [path.join(repo, 'src/cli/boot.ts')], outfile: path.join(dist, 'boot.cjs') }),
    build({ ...common, entryPoints: [path.join(repo, 'src/cli/sea.ts')], outfile: path.join(dist, 'sea.cjs') }),
  ]);

  // oclif's own manifest command, against the built explicit target.
  // (the oclif CLI's update check would contact the registry: off)
  const oclif = spawnSync(process.execPath, [path.join(repo, 'node_modules/oclif/bin/run.js'), 'manifest'], {
    cwd: repo,
    env: { ...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (oclif.status !== 0) throw new Error('oclif manifest failed');
  const ids = Object.keys((JSON.parse(fs.readFileSync(path.join(repo, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> }).commands);
  const collated = [...ids].sort((x, y) => x.localeCompare(y)).join(' ');
  if (collated !== [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join(' ')) {
    throw new Error(`command ids the collator orders differently from code units (${collated}): core.cjs would list them in another order than oclif does (oclifSortWithoutCollator)`);
  }

  // The code cache: compile and run each bundle in this process (the same
  // text the loader compiles), run a few side-effect-free invocations so
  // the functions start-up needs are compiled too, then serialise what V8 has.
  const loader = createLoader(
    { code: (n) => fs.readFileSync(path.join(dist, n), 'utf8'), cache: () => undefined, filename: (n) => path.join(dist, n) },
    createRequire(path.join(dist, 'boot.cjs')),
  );
  const core = loader.require('core.cjs') as { main: (o: MainOptions) => Promise<void> };
  const pjson = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const commands = () => (loader.require('commands.cjs') as { COMMANDS: ReturnType<MainOptions['commands']> }).COMMANDS;
  const notFound = () => loader.require('not-found.cjs') as unknown as NotFoundModule;
  // doctor and shellenv run outside any checkout (an empty temp dir): they only
  // read and probe (go, tar, docker, ruby…), so the exec path is compiled too.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'devenv-build-'));
  const write = process.stdout.write;
  const dockerHost = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${path.join(empty, 'no-docker.sock')}`; // never the machine's daemon
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const runs = [['--version'], ['--help'], ['doctor', '--help'], ['version'], ['help', 'doctor'], ['checks', '--json'], ['doctor', '--json', '--dir', empty], ['shellenv', '--dir', empty]];
    for (const argv of runs) await core.main({ argv, root: repo, pjson, commands, notFound });
  } finally {
    process.stdout.write = write;
    if (dockerHost === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = dockerHost;
    process.exitCode = undefined;
    fs.rmSync(empty, { recursive: true, force: true });
  }
  // the commands not run above get a cache of their top level
  const bundles = [...BUNDLES, ...cmds.map((c) => c.bundle)];
  for (const name of bundles) loader.require(name);
  for (const [name, script] of loader.scripts) {
    if (bundles.includes(name)) fs.writeFileSync(path.join(dist, cacheName(name as BundleName)), script.createCachedData());
  }
  // lib-*.cjs load in the long commands after those have set their V8 flags
  // (src/cli/tune.ts): their caches are made under the same flags, last (this
  // process compiles nothing more)
  for (const flag of RUN_V8_FLAGS) v8.setFlagsFromString(flag);
  const libLoader = createLoader(
    { code: (n) => fs.readFileSync(path.join(dist, n), 'utf8'), cache: () => undefined, filename: (n) => path.join(dist, n) },
    createRequire(path.join(dist, 'boot.cjs')),
  );
  for (const lib of Object.keys(LIBS)) libLoader.require(libBundle(lib));
  for (const [name, script] of libLoader.scripts) fs.writeFileSync(path.join(dist, cacheName(name as BundleName)), script.createCachedData());
  const size = (f: string) => `${(fs.statSync(path.join(dist, f)).size / 1024).toFixed(0)} KiB`;
  console.error(`built dist/: ${[...bundles, ...Object.keys(LIBS).map(libBundle)].map((b) => `${b} ${size(b)} (+ cache ${size(cacheName(b))})`).join(', ')}`);
}

await main();
