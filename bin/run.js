#!/usr/bin/env node
// devenv, as built by `npm run build` (dist/, see scripts/build.ts).
'use strict';
try {
  require.resolve('../dist/boot.cjs');
} catch {
  process.stderr.write('devenv is not built: run `npm run build` in ' + require('node:path').resolve(__dirname, '..') + '\n');
  process.exit(2);
}
require('../dist/boot.cjs');
