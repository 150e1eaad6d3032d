// Bundled in place of string-width 7 (scripts/build.ts), for the reporters'
// layout, wrap-ansi and ora. string-width makes an Intl.Segmenter when it
// loads, which loads ICU's break-iterator data: ~2 MiB of peak RSS in every
// doctor and fix, for text that is nearly always plain ASCII. Here a string of
// ASCII without ESC (no colour codes to strip) is measured by counting its
// printable characters, which is string-width's answer for every such string
// (test/cli/shims.test.ts checks it against string-width); anything else goes to
// string-width, loaded on that first use.
'use strict';
let real;
const plain = /^[\x00-\x1a\x1c-\x7f]*$/;

function stringWidth(string, options) {
  if (typeof string === 'string' && plain.test(string)) {
    let width = 0;
    for (let i = 0; i < string.length; i++) {
      const c = string.charCodeAt(i);
      if (c >= 0x20 && c < 0x7f) width++;
    }
    return width;
  }
  real ??= require('string-width').default;
  return real(string, options);
}

module.exports = stringWidth;
