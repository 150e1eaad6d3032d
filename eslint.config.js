import regexpPlugin from 'eslint-plugin-regexp';
// ESLint flat config: typescript-eslint's recommended rules, plus the house
// rule that execa, child_process, node-fetch and ora/chalk are imported only by
// their one module each (and the downloader's bulk reader, src/platform/http1.ts,
// only by the downloader: it stays the only HTTP client).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restricted = (allowed) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...(allowed.includes('execa') ? [] : [{ name: 'execa', message: 'Use ctx.exec (src/platform/exec.ts is the only module that imports execa).' }]),
        ...(allowed.includes('child_process')
          ? []
          : [
              { name: 'node:child_process', message: 'Use ctx.exec (src/platform/exec.ts).' },
              { name: 'child_process', message: 'Use ctx.exec (src/platform/exec.ts).' },
            ]),
        ...(allowed.includes('node-fetch') ? [] : [{ name: 'node-fetch', message: 'Use ctx.download / ctx.fetchText (src/platform/download.ts).' }]),
        ...(allowed.includes('ora') ? [] : [{ name: 'ora', message: 'Only reporters (src/engine/reporters/) touch the terminal.' }]),
        ...(allowed.includes('chalk') ? [] : [{ name: 'chalk', message: 'Only reporters (src/engine/reporters/) touch colour.' }]),
        ...(allowed.includes('@inquirer/prompts') ? [] : [{ name: '@inquirer/prompts', message: 'Prompts live in src/engine/reporters/prompts.ts.' }]),
      ],
      patterns: allowed.includes('http1')
        ? []
        : [{ group: ['**/http1', '**/http1.js', './http1', './http1.js'], message: 'Use ctx.download / ctx.fetchText (src/platform/download.ts is the only HTTP client; http1.ts is its bulk reader).' }],
    },
  ],
});

export default tseslint.config(
  { plugins: { regexp: regexpPlugin } },
  { ignores: ['dist/', 'node_modules/', 'oclif.manifest.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
      // No regular expression may backtrack super-linearly: a long input must not block the event loop.
      'regexp/no-super-linear-backtracking': 'error',
      ...restricted([]),
    },
  },
  { files: ['src/platform/exec.ts'], rules: restricted(['execa']) },
  { files: ['src/platform/download.ts'], rules: restricted(['node-fetch', 'http1']) },
  { files: ['src/engine/reporters/**'], rules: restricted(['ora', 'chalk', '@inquirer/prompts']) },
  { files: ['test/**', 'scripts/**'], rules: restricted(['child_process', 'http1']) },
  {
    // bin/run.js (CommonJS: bin/package.json) and the bundling shims are CommonJS.
    files: ['bin/run.js', 'src/cli/shims/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly', module: 'writable', exports: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
