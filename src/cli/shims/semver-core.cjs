// Bundled in place of `semver` in dist/core.cjs only (scripts/build.ts): oclif
// calls semver.satisfies once at start-up, for its Node engine check against
// package.json's `engines.node`. semver compiles ~40 regular expressions when
// it loads (≈ 10 ms); a plain `>=X.Y.Z` range (ours) with a plain X.Y.Z version
// is compared here instead, anything else goes to the real semver. The commands
// bundle keeps the real package.
'use strict';
const plain = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})$/;
exports.satisfies = (version, range, options) => {
  const r = typeof range === 'string' && range.startsWith('>=') ? plain.exec(range.slice(2).trim()) : null;
  const v = typeof version === 'string' ? plain.exec(version) : null;
  if (r && v) {
    for (let i = 1; i <= 3; i++) if (Number(v[i]) !== Number(r[i])) return Number(v[i]) > Number(r[i]);
    return true;
  }
  return require('semver/functions/satisfies.js')(version, range, options);
};
