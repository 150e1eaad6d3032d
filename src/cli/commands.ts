/**
 * The explicit oclif command map (package.json oclif.commands: strategy
 * "explicit", identifier COMMANDS), for bin/dev.mjs. The build writes the same
 * map as dist/commands.cjs with one getter per command, each loading only that
 * command's bundle (dist/cmd-<id>.cjs); `--version` and `--help` load none.
 */
import BundleCreate from '../commands/bundle/create.js';
import BundleInspect from '../commands/bundle/inspect.js';
import BundleLoad from '../commands/bundle/load.js';
import CacheClear from '../commands/cache/clear.js';
import CacheVerify from '../commands/cache/verify.js';
import Checks from '../commands/checks.js';
import Doctor from '../commands/doctor.js';
import EnvInit from '../commands/env/init.js';
import Fix from '../commands/fix.js';
import InfoCommand from '../commands/info.js';
import ShellEnv from '../commands/shellenv.js';

export const COMMANDS = {
  'bundle:create': BundleCreate,
  'bundle:inspect': BundleInspect,
  'bundle:load': BundleLoad,
  'cache:clear': CacheClear,
  'cache:verify': CacheVerify,
  checks: Checks,
  doctor: Doctor,
  'env:init': EnvInit,
  fix: Fix,
  info: InfoCommand,
  shellenv: ShellEnv,
};
