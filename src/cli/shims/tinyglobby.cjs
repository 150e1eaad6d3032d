// Bundled in place of tinyglobby (scripts/build.ts): oclif globs only for the
// "pattern" command strategy, and devenv's is "explicit".
'use strict';
exports.glob = async () => {
  throw new Error('devenv is built with an explicit command map; globbing for commands is not bundled');
};
