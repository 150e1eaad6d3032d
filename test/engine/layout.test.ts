import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clip, dedupe, terminalWidth, truncate, visibleWidth, wrapLine } from '../../src/engine/reporters/layout.js';

describe('layout', () => {
  it('an unknown, zero or absurdly small width counts as 80', () => {
    assert.equal(terminalWidth(undefined), 80);
    assert.equal(terminalWidth(0), 80);
    assert.equal(terminalWidth(3), 80);
    assert.equal(terminalWidth(120), 120);
  });

  it('wraps at word boundaries with a hanging indent, never wider than the width', () => {
    const line = '  ✗ HUB and TAG [hub-tag]: HUB=docker.io/janesmith is not a valid image repository: it has upper-case letters (repository names are lower case)';
    for (const width of [40, 80, 120]) {
      const out = wrapLine(line, width);
      for (const l of out) assert.ok(visibleWidth(l) <= width, `${width}: ${JSON.stringify(l)}`);
      assert.equal(out.join(' ').replace(/\s+/g, ' ').trim(), line.replace(/\s+/g, ' ').trim(), 'a word was broken or lost');
      for (const l of out.slice(1)) assert.match(l, /^ {4}\S/, 'continuation lines hang under the title');
    }
  });

  it('colour codes do not count toward the width', () => {
    const red = (s: string) => `\x1b[31m${s}\x1b[39m`;
    const line = `  ${red('✗')} ${'word '.repeat(15).trim()}`;
    assert.deepEqual(wrapLine(line, 80), [line]);
  });

  it('a path longer than a line starts on its own line and breaks after a slash', () => {
    const p = '/tmp/devenv-home-abcdef/a-rather-long-gopath-directory-name/go/out/linux_amd64/release/docker_build/docker.kubectl/kubectl';
    const out = wrapLine(`      kubectl is not cached at ${p}`, 80);
    for (const l of out) assert.ok(visibleWidth(l) <= 80, l);
    assert.equal(out[0], '      kubectl is not cached at');
    for (const l of out.slice(1, -1)) assert.match(l, /\/$/);
  });

  it('clip keeps the first meaningful lines once, drops go chatter, collapses repeats and says how much was left', () => {
    const err = ['go: downloading example.com/a v1.0.0', ...Array(10).fill('go: module lookup disabled by GOPROXY=off'), 'go: example.com/b@v1: reading http://127.0.0.1:9/b: connection refused', 'x', 'y', 'z'].join('\n');
    const c = clip(err);
    assert.equal(c.text.split('\n')[0], 'go: module lookup disabled by GOPROXY=off (×10)');
    assert.equal(c.text.split('\n').length, 3);
    assert.ok(c.rest > 0);
    const long = clip('a '.repeat(400), { maxChars: 100 });
    assert.ok(long.text.length <= 102, long.text);
    assert.deepEqual(dedupe(['a', 'b', 'a']), ['a (×2)', 'b']);
  });

  it('truncate keeps a spinner line on one row', () => {
    assert.equal(visibleWidth(truncate('x'.repeat(200), 77)), 77);
    assert.equal(truncate('short', 77), 'short');
  });
});
