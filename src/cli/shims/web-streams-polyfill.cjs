// Bundled in place of web-streams-polyfill (scripts/build.ts): fetch-blob
// (node-fetch's) requires it only when globalThis.ReadableStream is missing,
// i.e. before Node 16.5; devenv needs Node 20.
'use strict';
throw new Error('web-streams-polyfill is not bundled: this Node has no ReadableStream (devenv needs Node 20 or later)');
