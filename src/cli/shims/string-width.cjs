// Bundled in place of string-width 7 (scripts/build.ts), for the reporters'
// layout, wrap-ansi and ora. string-width makes an Intl.Segmenter when it
// loads, which loads ICU's break-iterator data: ~2 MiB of peak RSS in every
// doctor and fix, for text that is nearly always plain. Here a string of ASCII
// without ESC (no colour codes to strip), plus the one-column symbols devenv's
// own lines use (✓ ✗ … → — and a few more), is measured by counting: 1 for
// each printable character, 0 for a control character, which is string-width's
// answer for every such string (test/cli/shims.test.ts checks it against
// string-width); anything else, or ambiguous-width characters counted as wide,
// goes to string-width, loaded on that first use.
'use strict';
let real;
const SYMBOLS = '\u2026\u2013\u2192\u2014\u2265\u2264\u2717\u2713\u00d7\u00bb\u00b7\u21ba\u2190'; // … – → — ≥ ≤ ✗ ✓ × » · ↺ ←
const plain = new RegExp(`^[\\x00-\\x1a\\x1c-\\x7f${SYMBOLS}]*$`);

function stringWidth(string, options) {
  if (typeof string === 'string' && options?.ambiguousIsNarrow !== false && plain.test(string)) {
    let width = 0;
    for (let i = 0; i < string.length; i++) {
      const c = string.charCodeAt(i);
      if ((c >= 0x20 && c < 0x7f) || c > 0x7f) width++;
    }
    return width;
  }
  real ??= require('string-width').default;
  return real(string, options);
}

module.exports = stringWidth;
module.exports.SYMBOLS = SYMBOLS;
