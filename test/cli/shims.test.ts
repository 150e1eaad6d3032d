import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import stringWidth from 'string-width';

const require = createRequire(import.meta.url);
const shim = require('../../src/cli/shims/string-width.cjs') as typeof stringWidth & { SYMBOLS: string };

/** A deterministic sequence of pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('string-width shim (src/cli/shims/string-width.cjs)', () => {
  const options = [undefined, { ambiguousIsNarrow: false }, { countAnsiEscapeCodes: true }];
  const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).filter((c) => c !== '\u001b');
  const chars = [...ascii, ...shim.SYMBOLS];

  it('gives string-width’s answer for every string of up to two characters of ASCII without ESC and the symbols it counts', () => {
    for (const o of options) {
      assert.equal(shim('', o), stringWidth('', o));
      for (const a of chars) {
        assert.equal(shim(a, o), stringWidth(a, o), `U+${a.charCodeAt(0).toString(16)}`);
        for (const b of chars) {
          const s = a + b;
          if (shim(s, o) !== stringWidth(s, o)) assert.fail(`${JSON.stringify(s)} ${JSON.stringify(o)}: ${shim(s, o)} vs ${stringWidth(s, o)}`);
        }
      }
    }
  });

  it('and for longer ones (lines as the reporters print them, random ones)', () => {
    const next = random(14);
    const lines = ['✓ go-version  Go 1.13.15 (required 1.13, go.mod:3)', '! HUB and TAG [hub-tag]: needs you; devenv ran nothing', '✗ helm — not found → devenv fix helm …', '\tindented\r\n', 'x'.repeat(300)];
    for (let n = 0; n < 2000; n++) lines.push(Array.from({ length: Math.floor(next() * 200) }, () => chars[Math.floor(next() * chars.length)]).join(''));
    for (const o of options) for (const s of lines) assert.equal(shim(s, o), stringWidth(s, o), JSON.stringify(s));
  });

  it('leaves anything else to string-width: colour codes, CJK, emoji, combining marks, C1 controls', () => {
    for (const s of ['\u001b[31mred\u001b[39m', '日本語', 'a👍b', 'e\u0301', '\u009b31m', '\u00ad', 'x\u200by', '\u001b', '✓\ufe0f', '‼', '↔', '✓\u0301']) {
      for (const o of options) assert.equal(shim(s, o), stringWidth(s, o), JSON.stringify(s));
    }
    assert.equal(shim('日本語'), 6);
    assert.equal(shim('\u001b[31mred\u001b[39m'), 3);
  });
});
