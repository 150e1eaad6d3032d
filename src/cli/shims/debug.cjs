// Bundled in place of the `debug` package (oclif's logger, scripts/build.ts):
// the real one, which probes the terminal when it loads, only when DEBUG is set.
'use strict';
const off = () => {
  const d = () => {};
  d.enabled = false;
  d.extend = () => d;
  return d;
};
module.exports = process.env.DEBUG ? require('debug/src/index.js') : off;
