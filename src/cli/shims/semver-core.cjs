// Bundled in place of `semver` in dist/core.cjs only (scripts/build.ts): oclif
// calls semver.satisfies once at start-up (its Node engine check), and the
// package's index loads all ~50 of its modules for that. The commands bundle
// keeps the real package.
'use strict';
exports.satisfies = (version, range, options) => require('semver/functions/satisfies.js')(version, range, options);
