import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { cacheName, WRAP_HEAD, WRAP_TAIL, wrap } from '../../src/cli/loader.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { requireReal } from '../helpers/daemons.js';
import { repoRoot } from '../helpers/env.js';

const dist = path.join(repoRoot, 'dist');
const built = (name: string) => fs.existsSync(path.join(dist, name));
/** Bytes in V8's large-object spaces (young and old): where a string of a bundle's size lives. */
const largeObjects = () => v8.getHeapSpaceStatistics().filter((s) => s.space_name.includes('large_object')).reduce((n, s) => n + s.space_used_size, 0);
/** A full collection (only this test file's process has the flag). */
function gc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('bundle loader', () => {
  it('code not built as a wrapper call is wrapped as CommonJS would', () => {
    const fn = vm.runInThisContext(wrap('exports.x = __filename + require("node:path").sep;')) as (...a: unknown[]) => void;
    const module = { exports: {} as Record<string, unknown> };
    fn.call(module.exports, module.exports, createRequire(import.meta.url), module, '/f', '/');
    assert.equal(module.exports.x, `/f${path.sep}`);
  });

  const bundles = ['core.cjs', 'commands.cjs', 'not-found.cjs', 'cmd-fix.cjs', 'cmd-doctor.cjs'];

  it('each built bundle is a call of the wrapper; the loader compiles the wrapper function, and the code cache fits it', (t) => {
    if (!requireReal(t, 'dist/ (npm run build)', built('commands.cjs') && built('cmd-fix.cjs'))) return;
    for (const name of bundles) {
      const code = fs.readFileSync(path.join(dist, name), 'utf8');
      assert.ok(code.startsWith(WRAP_HEAD) && code.endsWith(WRAP_TAIL), `${name} is not written as a wrapper call`);
      const text = wrap(code);
      assert.equal(text, code.slice(0, code.length - WRAP_TAIL.length) + '\n})');
      const script = new vm.Script(text, { filename: path.join(dist, name), cachedData: fs.readFileSync(path.join(dist, cacheName(name))) });
      assert.equal(script.cachedDataRejected, false, `${name}: V8 rejected the code cache`);
      assert.equal(typeof script.runInThisContext(), 'function');
    }
  });

  // (after the test above: a V8 flag set at run time makes V8 reject every code cache)
  it('compiling a built bundle does not copy its text', (t) => {
    if (!requireReal(t, 'dist/ (npm run build)', built('cmd-fix.cjs'))) return;
    for (const name of bundles) {
      const code = fs.readFileSync(path.join(dist, name), 'utf8');
      if (code.length < 1 << 20) continue;
      gc();
      const before = largeObjects();
      const script = new vm.Script(wrap(code), { filename: path.join(dist, name) });
      // a copy of a bundle this size would land in large-object space (cmd-fix.cjs: ~1.5 MB)
      assert.ok(largeObjects() - before < code.length / 2, `${name}: compiling it copied its ${code.length} characters`);
      assert.ok(script);
    }
  });

  it("node's own require still runs a built bundle as a module (the oclif CLI reads dist/commands.cjs so for its manifest)", (t) => {
    if (!requireReal(t, 'dist/ (npm run build)', built('commands.cjs'))) return;
    const { COMMANDS: map } = createRequire(path.join(dist, 'x.cjs'))('./commands.cjs') as { COMMANDS: Record<string, unknown> };
    assert.deepEqual(Object.keys(map).sort(), Object.keys(COMMANDS).sort());
  });

  it('no bundle carries what devenv never runs (the editor prompt: iconv-lite, chardet; the web streams polyfill); the libraries loaded on demand are bundles of their own', (t) => {
    if (!requireReal(t, 'dist/ (npm run build)', built('cmd-fix.cjs') && built('lib-inquirer-prompts.cjs'))) return;
    const read = (name: string) => fs.readFileSync(path.join(dist, name), 'utf8');
    // esbuild names each module a bundle loads lazily by its path: the command bundles had these, before the libraries became bundles of their own
    const libs = ['node_modules/@inquirer/confirm/', 'node_modules/node-fetch/', 'node_modules/fetch-blob/', 'node_modules/yaml/', 'node_modules/zod/', 'node_modules/tar/', 'node_modules/ora/'];
    for (const cmd of ['cmd-fix.cjs', 'cmd-doctor.cjs']) {
      const code = read(cmd);
      for (const part of libs) assert.ok(!code.includes(part), `${cmd} bundles ${part}`);
      assert.ok(code.includes('./lib-zod.cjs') && code.includes('./lib-node-fetch.cjs'), `${cmd} does not load the libraries from their bundles`);
    }
    // (the libraries' own text: the test below checks what each exports)
    assert.ok(read('lib-node-fetch.cjs').includes('node_modules/fetch-blob/'));
    for (const name of fs.readdirSync(dist).filter((f) => f.endsWith('.cjs'))) {
      const code = read(name);
      for (const unused of ['node_modules/@inquirer/editor/', 'node_modules/@inquirer/external-editor/', 'node_modules/iconv-lite/', 'node_modules/chardet/', 'node_modules/web-streams-polyfill/']) {
        assert.ok(!code.includes(unused), `${name} bundles ${unused}`);
      }
    }
  });

  it('a library bundle gives import() what the library itself does', (t) => {
    if (!requireReal(t, 'dist/ (npm run build)', built('lib-yaml.cjs'))) return;
    const req = createRequire(path.join(dist, 'x.cjs'));
    const lib = (name: string) => req(`./${name}`) as Record<string, unknown> & { default?: unknown };
    assert.deepEqual((lib('lib-yaml.cjs').default as { parse: (s: string) => unknown }).parse('a: [1, 2]\n'), { a: [1, 2] });
    assert.equal(typeof lib('lib-node-fetch.cjs').default, 'function');
    assert.equal(typeof lib('lib-ora.cjs').default, 'function');
    assert.equal(typeof (lib('lib-zod.cjs').z as { object?: unknown }).object, 'function');
    assert.equal(typeof lib('lib-tar.cjs').x, 'function');
    for (const q of ['confirm', 'checkbox', 'input']) assert.equal(typeof lib('lib-inquirer-prompts.cjs')[q], 'function', q);
    assert.equal(typeof lib('lib-https-proxy-agent.cjs').HttpsProxyAgent, 'function');
    assert.equal(typeof lib('lib-http-proxy-agent.cjs').HttpProxyAgent, 'function');
  });
});
