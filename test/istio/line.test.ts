import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findIstioRoot } from '../../src/istio/gomod.js';
import { readInitStamp } from '../../src/istio/line.js';
import { scriptVars, evalCondition } from '../../src/istio/script.js';
import { tempEnv, testContext } from '../helpers/env.js';
import { FAMILIES, makeIstioTree } from '../helpers/fixtures.js';

describe('release-line model (src/istio/line.ts, src/istio/script.ts)', () => {
  let t: Awaited<ReturnType<typeof tempEnv>>;
  before(async () => {
    t = await tempEnv();
  });
  after(() => t.cleanup());

  it('recognises every family by its own markers, from a subdirectory too; 1.1 has no go.mod', async () => {
    for (const family of FAMILIES) {
      const tree = await makeIstioTree(path.join(t.dir, `rec-${family}`), family);
      const sub = path.join(tree.root, 'pilot', 'cmd');
      await fs.mkdir(sub, { recursive: true });
      assert.equal(await findIstioRoot(sub), tree.root, family);
    }
    // Istio's own trio without go.mod or Gopkg is still a tree; any one alone is not.
    const trio = path.join(t.dir, 'trio');
    await fs.mkdir(path.join(trio, 'bin'), { recursive: true });
    await fs.writeFile(path.join(trio, 'istio.deps'), '[]\n');
    assert.equal(await findIstioRoot(trio), null);
    await fs.writeFile(path.join(trio, 'Makefile'), 'init:\n');
    await fs.writeFile(path.join(trio, 'bin/init.sh'), '#!/bin/bash\n');
    assert.equal(await findIstioRoot(trio), trio);
    const other = path.join(t.dir, 'other');
    await fs.mkdir(other, { recursive: true });
    await fs.writeFile(path.join(other, 'go.mod'), 'module example.com/not-istio\n');
    assert.equal(await findIstioRoot(other), null);
  });

  it('facts with provenance per family: layout, dependency mode, init targets, TARGET_OUT_LINUX arch', async () => {
    const want: Record<string, [string, string, RegExp, string | undefined]> = {
      '1.1': ['gopath', 'dep', /^Gopkg\.toml:1$/, undefined],
      '1.2-1.3': ['gopath', 'vendor-gopath', /^vendor\/modules\.txt:1$/, undefined],
      '1.4': ['gopath', 'modules', /^Makefile\.core\.mk:\d+$/, undefined],
      '1.5': ['modern', 'modules', /^Makefile\.core\.mk:\d+$/, 'amd64'],
      '1.6-1.7': ['modern', 'modules', /^Makefile\.core\.mk:\d+$/, 'amd64'],
      '1.8-1.16': ['modern', 'modules', /^Makefile\.core\.mk:\d+$/, 'target-arch'],
      '1.18': ['modern', 'modules', /^Makefile\.core\.mk:\d+$/, 'target-arch'],
      '1.20+': ['modern', 'modules', /^Makefile\.core\.mk:\d+$/, 'target-arch'],
      master: ['modern', 'modules', /^Makefile\.core\.mk:\d+$/, 'target-arch'],
    };
    for (const family of FAMILIES) {
      const tree = await makeIstioTree(path.join(t.dir, `facts-${family}`), family);
      const ctx = await testContext({ env: { ...t.env, ...(tree.gopath ? { GOPATH: tree.gopath } : {}) }, dir: tree.root });
      const line = ctx.project!.line;
      const [layout, dep, depSrc, linuxOut] = want[family];
      assert.equal(line.layout.value, layout, family);
      assert.ok(line.layout.line > 0, `${family}: layout has no line`);
      assert.equal(line.depMode.value, dep, family);
      assert.match(`${line.depMode.file}:${line.depMode.line}`, depSrc, family);
      assert.equal(line.linuxOut?.value, linuxOut, family);
      assert.equal(line.initTargets?.value.includes('init-ztunnel-rs'), family === '1.18' || family === '1.20+' || family === 'master', family);
      // The stamp rule that runs bin/init.sh: $(ISTIO_OUT) up to 1.12, $(TARGET_OUT) after, on every line.
      assert.match(line.initStamp?.value.target ?? '', /^\$\((ISTIO_OUT|TARGET_OUT)\)\/istio_is_init$/, family);
      assert.deepEqual(line.initStamp?.value.prereqs, ['bin/init.sh', 'istio.deps'], family);
      assert.match(`${line.initStamp?.file}:${line.initStamp?.line}`, /^Makefile(\.core\.mk)?:\d+$/, family);
      const go = line.go.map((g) => `${g.value}@${g.file}`).join(' ');
      if (family === '1.1') assert.equal(go, '1.10@Makefile', family);
      if (family === '1.2-1.3') assert.equal(go, '1.12@go.mod 1.10@Makefile', family);
      if (family === 'master') assert.equal(go, '1.26.0@go.mod', family);
    }
  });

  it('the init stamp rule: only a rule whose recipe runs bin/init.sh and touches its own target; comments and other rules are not it', () => {
    const rule = (mk: string) => readInitStamp([['Makefile.core.mk', mk]]);
    const real = rule('x: y\n\ttrue\n\n$(TARGET_OUT)/istio_is_init: bin/init.sh istio.deps | $(TARGET_OUT)\n\t@# bin/init.sh retried\n\tTARGET_OUT=$(TARGET_OUT) bin/retry.sh SSL bin/init.sh\n\ttouch $(TARGET_OUT)/istio_is_init\n');
    assert.deepEqual(real, { value: { target: '$(TARGET_OUT)/istio_is_init', prereqs: ['bin/init.sh', 'istio.deps'] }, file: 'Makefile.core.mk', line: 4 });
    assert.deepEqual(rule('out/stamp: bin/init.sh\n\tbin/init.sh\n\ttouch $@\n')?.value, { target: 'out/stamp', prereqs: ['bin/init.sh'] });
    // init.sh only in a comment of the recipe, no touch, a touch of another file, a variable assignment: none is the rule.
    assert.equal(rule('s: bin/init.sh\n\t@# bin/init.sh\n\ttouch s\n'), undefined);
    assert.equal(rule('s: bin/init.sh\n\tbin/init.sh\n'), undefined);
    assert.equal(rule('s: bin/init.sh\n\tbin/init.sh\n\ttouch other\n'), undefined);
    assert.equal(rule('S := bin/init.sh\n\tbin/init.sh\n\ttouch S\n'), undefined);
    // A long line with no colon is read in linear time (no backtracking blow-up).
    const t0 = process.hrtime.bigint();
    assert.equal(rule('a'.repeat(200_000) + ' ' + '\t'.repeat(200_000)), undefined);
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 2000, 'readInitStamp is not linear');
  });

  it('script branches: the TARGET_ARCH if/else picks the suffix bash would (not the first assignment); elif/else; undecidable keeps the first', () => {
    const text = [
      'if [[ "${TARGET_ARCH}" == "amd64" ]]; then',
      '\tISTIO_ENVOY_ARCH_SUFFIX=""',
      'else',
      '\tISTIO_ENVOY_ARCH_SUFFIX="-${TARGET_ARCH}"',
      'fi',
      'if [[ "$GOOS_LOCAL" == "darwin" ]]; then',
      '  NATIVE=mac',
      'elif [[ "$GOOS_LOCAL" == "linux" ]]; then',
      '  NATIVE=linux',
      'else',
      '  NATIVE=other',
      'fi',
      'if [[ ! -f "$2" ]]; then',
      '  ODD=first',
      'else',
      '  ODD=second',
      'fi',
      'function f () {',
      '  INSIDE=1',
      '}',
    ].join('\n');
    const env = (o: Record<string, string>) => (n: string) => o[n];
    assert.equal(scriptVars(text, env({ TARGET_ARCH: 'arm64' })).get('ISTIO_ENVOY_ARCH_SUFFIX')?.value, '-${TARGET_ARCH}');
    assert.equal(scriptVars(text, env({ TARGET_ARCH: 'amd64' })).get('ISTIO_ENVOY_ARCH_SUFFIX')?.value, '');
    assert.equal(scriptVars(text, env({ GOOS_LOCAL: 'linux' })).get('NATIVE')?.value, 'linux');
    assert.equal(scriptVars(text, env({ GOOS_LOCAL: 'freebsd' })).get('NATIVE')?.value, 'other');
    assert.equal(scriptVars(text, env({})).get('ODD')?.value, 'first');
    assert.equal(scriptVars(text, env({})).has('INSIDE'), false);
    assert.equal(evalCondition('if [[ -n "${DEBUG_IMAGE:-}" ]]; then', env({ DEBUG_IMAGE: '1' })), true);
    assert.equal(evalCondition('if [[ -n "${DEBUG_IMAGE:-}" ]]; then', env({})), false);
    assert.equal(evalCondition('if [[ "$1" == s3://* ]]; then', env({})), undefined);
  });
});
