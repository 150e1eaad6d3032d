// Bundled in place of @inquirer/editor (scripts/build.ts): @inquirer/prompts
// exports it, devenv asks only confirm, checkbox and input questions
// (src/engine/reporters/prompts.ts), and the editor prompt's external-editor
// brings iconv-lite and chardet (~540 KiB) into every bundle that can prompt.
'use strict';
module.exports = () => {
  throw new Error('the editor prompt is not bundled in devenv');
};
