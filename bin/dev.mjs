#!/usr/bin/env -S node --import tsx --no-warnings
// devenv straight from the TypeScript sources (no build), for development.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.ts';
import { COMMANDS } from '../src/cli/commands.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
await main({ argv: process.argv.slice(2), root, pjson: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')), commands: () => COMMANDS, notFound: () => import('../src/cli/not-found.ts') });
