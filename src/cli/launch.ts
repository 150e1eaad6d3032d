/**
 * What both entries do once they have a loader (bin/run.js → boot.ts, the
 * single executable → sea.ts): answer `--version` without loading oclif, or
 * hand the command line to core.cjs.
 */
import type { Loader } from './loader.js';
import { tuneForRun } from './tune.js';
import type { MainOptions, NotFoundModule } from './main.js';

export function launch(loader: Loader, o: { root: string; pjson: { name: string; version: string }; /** read only when a command runs (not for --version) */ manifest?: () => MainOptions['manifest']; host: (id: string) => unknown }): void {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && argv[0] === '--version') {
    // The answer oclif would print (its userAgent), without loading oclif: `devenv --version` costs a node start-up and no more.
    process.stdout.write(`${o.pjson.name}/${o.pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`);
    return;
  }
  const core = loader.require('core.cjs') as { main: (m: MainOptions) => Promise<void> };
  void core.main({
    argv,
    root: o.root,
    pjson: o.pjson as unknown as MainOptions['pjson'],
    ...(o.manifest ? { manifest: o.manifest() } : {}),
    commands: () => (loader.require('commands.cjs') as { COMMANDS: ReturnType<MainOptions['commands']> }).COMMANDS,
    notFound: () => loader.require('not-found.cjs') as unknown as NotFoundModule,
    onCommand: (id) => tuneForRun(id, o.host),
  });
}
