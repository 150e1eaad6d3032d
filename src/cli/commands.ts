/**
 * The explicit oclif command map (package.json oclif.commands: strategy
 * "explicit", identifier COMMANDS). The build bundles this file, with every
 * command and library it reaches, into dist/commands.cjs; `--version` and
 * `--help` never load it.
 */
import Checks from '../commands/checks.js';
import Doctor from '../commands/doctor.js';
import EnvInit from '../commands/env/init.js';
import Fix from '../commands/fix.js';
import InfoCommand from '../commands/info.js';
import ShellEnv from '../commands/shellenv.js';

export const COMMANDS = {
  checks: Checks,
  doctor: Doctor,
  'env:init': EnvInit,
  fix: Fix,
  info: InfoCommand,
  shellenv: ShellEnv,
};
