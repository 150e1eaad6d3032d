/**
 * Loads the CommonJS bundles in dist/ through vm.Script so V8 can use the code
 * cache `npm run build` wrote beside each bundle (`<bundle>.<node version>-<arch>.v8cache`).
 * The cache is only read here, never written: a missing or rejected cache
 * (another Node version) means the bundle is compiled as usual. Bundles refer
 * to each other as `./<name>.cjs` (core.cjs, commands.cjs, not-found.cjs, cmd-<command>.cjs, lib-<library>.cjs); every other require
 * (node builtins, `typescript`) goes to the host's require.
 *
 * The build writes each bundle as a call of the CommonJS wrapper function
 * (WRAP_HEAD …code… WRAP_TAIL), which node's own require runs as usual (the
 * oclif CLI loads dist/commands.cjs that way for its manifest). The loader
 * compiles the function expression alone: a slice of the text read, which V8
 * keeps as a view of it, not a copy. Wrapping the code here instead would make
 * V8 hold every bundle twice (the text read and the wrapped copy: ~2 MiB for
 * `fix`, in large-object space that only a full collection frees).
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

/** What each bundle file starts with (scripts/build.ts writes it): the function CommonJS wraps code in… */
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
/** …and ends with: the function's end and its call, for node's require. */
export const WRAP_TAIL = '\n}).call(this, exports, require, module, __filename, __dirname);\n';
/** The part of WRAP_TAIL that ends the function expression. */
const FUNCTION_END = '\n})';

/**
 * What the loader (and the build, for the cache) compiles: the wrapper function
 * expression. For a built bundle, a slice of its text (no copy); anything else
 * is wrapped here.
 */
export function wrap(code: string): string {
  if (code.startsWith(WRAP_HEAD) && code.endsWith(WRAP_TAIL)) return code.slice(0, code.length - WRAP_TAIL.length + FUNCTION_END.length);
  return `${WRAP_HEAD}${code}${FUNCTION_END}`;
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
