/**
 * The explicit oclif command map (package.json oclif.commands: strategy
 * "explicit", identifier COMMANDS), for bin/dev.mjs. The build writes the same
 * map as dist/commands.cjs with one getter per command, each loading only that
 * command's bundle (dist/cmd-<id>.cjs); `--version` and `--help` load none.
 * help, version and autocomplete are devenv's own commands (no oclif plugins
 * are loaded: package.json has no oclif.plugins).
 */
import Autocomplete from '../commands/autocomplete/index.js';
import AutocompleteScript from '../commands/autocomplete/script.js';
import BundleCreate from '../commands/bundle/create.js';
import BundleInspect from '../commands/bundle/inspect.js';
import BundleLoad from '../commands/bundle/load.js';
import CacheClear from '../commands/cache/clear.js';
import CacheVerify from '../commands/cache/verify.js';
import Checks from '../commands/checks.js';
import Doctor from '../commands/doctor.js';
import EnvInit from '../commands/env/init.js';
import Fix from '../commands/fix.js';
import Help from '../commands/help.js';
import InfoCommand from '../commands/info.js';
import ShellEnv from '../commands/shellenv.js';
import Version from '../commands/version.js';

export const COMMANDS = {
  autocomplete: Autocomplete,
  'autocomplete:script': AutocompleteScript,
  'bundle:create': BundleCreate,
  'bundle:inspect': BundleInspect,
  'bundle:load': BundleLoad,
  'cache:clear': CacheClear,
  'cache:verify': CacheVerify,
  checks: Checks,
  doctor: Doctor,
  'env:init': EnvInit,
  fix: Fix,
  help: Help,
  info: InfoCommand,
  shellenv: ShellEnv,
  version: Version,
};
