/**
 * Loads the CommonJS bundles in dist/ through vm.Script so V8 can use the code
 * cache `npm run build` wrote beside each bundle (`<bundle>.<node version>-<arch>.v8cache`).
 * The cache is only read here, never written: a missing or rejected cache
 * (another Node version) means the bundle is compiled as usual. Bundles refer
 * to each other as `./<name>.cjs` (core.cjs, commands.cjs, not-found.cjs, cmd-<command>.cjs); every other require
 * (node builtins, `typescript`) goes to the host's require.
 */
import path from 'node:path';
import vm from 'node:vm';

/** The bundles every build has (not-found.cjs: an unknown command); one cmd-<command>.cjs per command besides. */
export const BUNDLES = ['core.cjs', 'commands.cjs', 'not-found.cjs'] as const;
/** A file name in dist/ such as core.cjs or cmd-doctor.cjs. */
export type BundleName = string;

export interface BundleSource {
  /** The bundle's code. */
  code(name: BundleName): string;
  /** The V8 code cache for this Node version, if there is one. */
  cache(name: BundleName): Buffer | undefined;
  /** The file name that stack traces and __filename show. */
  filename(name: BundleName): string;
}

/** The cache file's name for a bundle under this Node version and architecture. */
export function cacheName(name: BundleName, version = process.version, arch = process.arch): string {
  return `${name}.${version}-${arch}.v8cache`;
}

/** The same text the build compiles, so V8 accepts the cache. */
export function wrap(code: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${code}\n})`;
}

interface Loaded {
  exports: Record<string, unknown>;
  script: vm.Script;
}

export interface Loader {
  require(name: BundleName): Record<string, unknown>;
  /** Compiled scripts so far (the build makes the cache from them). */
  scripts: Map<BundleName, vm.Script>;
}

export function createLoader(source: BundleSource, hostRequire: (id: string) => unknown): Loader {
  const loaded = new Map<BundleName, Loaded>();
  const scripts = new Map<BundleName, vm.Script>();
  const bundleOf = (id: string): BundleName | undefined => /^\.\/([a-z0-9-]+\.cjs)$/.exec(id)?.[1];

  function load(name: BundleName): Record<string, unknown> {
    const done = loaded.get(name);
    if (done) return done.exports;
    const filename = source.filename(name);
    const script = new vm.Script(wrap(source.code(name)), { filename, cachedData: source.cache(name) });
    scripts.set(name, script);
    const module = { exports: {} as Record<string, unknown> };
    loaded.set(name, { exports: module.exports, script });
    const fn = script.runInThisContext() as (...a: unknown[]) => void;
    const req = (id: string): unknown => {
      const b = bundleOf(id);
      return b ? load(b) : hostRequire(id);
    };
    fn.call(module.exports, module.exports, req, module, filename, path.dirname(filename));
    loaded.set(name, { exports: module.exports, script });
    return module.exports;
  }
  return { require: load, scripts };
}
