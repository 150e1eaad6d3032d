/**
 * Start-up of the built CLI (bundled with @oclif/core into dist/core.cjs).
 * oclif is given the package.json, and (in the single executable) the
 * manifest, instead of finding them on disk; the command classes come from a
 * map whose entries load their command's bundle (dist/cmd-<id>.cjs) on first use, so `--version` and
 * `--help` run with oclif alone. An unknown command loads dist/not-found.cjs
 * (did-you-mean, exit 127); no oclif plugin or hook is ever loaded from disk.
 */
import { Config, Errors, flush, handle, Plugin, run, type Command, type Interfaces } from '@oclif/core';

export * from '@oclif/core';

export interface MainOptions {
  argv: string[];
  /** The package root (where package.json and oclif.manifest.json live). */
  root: string;
  pjson: Interfaces.PJSON;
  /** The oclif manifest; read from root/oclif.manifest.json when omitted. */
  manifest?: Interfaces.Manifest;
  /** Returns the command map (dist/commands.cjs's COMMANDS); called on first use. */
  commands: () => Record<string, Command.Class>;
  /** Returns what an unknown command does (dist/not-found.cjs, src/cli/not-found.ts); called only then. */
  notFound: () => NotFoundModule | Promise<NotFoundModule>;
  /** Called with a command's id each time its class is asked for, after its bundle (and the builtins that requires) has loaded, before it runs. */
  onCommand?: (id: string) => void;
}

export interface NotFoundModule {
  commandNotFound: (config: Config, id: string, argv: string[]) => Promise<unknown>;
}

interface PluginInternals {
  _manifest: () => Promise<Interfaces.Manifest>;
  commandCache: Record<string, Command.Class>;
  commandIDs: string[];
  hasManifest: boolean;
}

export async function main(opts: MainOptions): Promise<void> {
  try {
    const plugin = new Plugin({ isRoot: true, root: opts.root, pjson: opts.pjson });
    const internals = plugin as unknown as PluginInternals;
    if (opts.manifest) {
      const manifest = opts.manifest;
      internals._manifest = async () => {
        internals.hasManifest = true;
        internals.commandIDs = Object.keys(manifest.commands);
        return manifest;
      };
    }
    // oclif asks its command cache (filled from the explicit target) for a class
    // only when it runs a command; this one loads the command map (and through it one command's bundle) then.
    let loaded: Record<string, Command.Class> | undefined;
    const all = () => (loaded ??= opts.commands());
    const command = (id: string) => {
      const cls = all()[id];
      if (cls) opts.onCommand?.(id);
      return cls;
    };
    internals.commandCache = new Proxy({} as Record<string, Command.Class>, {
      get: (_t, id) => (typeof id === 'string' ? command(id) : undefined),
      ownKeys: () => Reflect.ownKeys(all()),
      getOwnPropertyDescriptor: (_t, id) => (typeof id === 'string' && id in all() ? { value: command(id), enumerable: true, configurable: true, writable: false } : undefined),
    });
    await plugin.load();
    const config = await Config.load({ root: opts.root, pjson: opts.pjson, plugins: new Map([[plugin.name, plugin]]) });
    try {
      await run(opts.argv, config);
    } catch (error) {
      // An unknown command: oclif would run a command_not_found hook, loaded from
      // a file on disk (the bundles have none), and, without one, throws this.
      // The id is the leading words of argv joined by ':' (oclif's own collation).
      const unknown = error instanceof Errors.CLIError ? /^command (\S+) not found$/.exec(error.message) : null;
      if (!unknown) throw error;
      const { commandNotFound } = await opts.notFound();
      await commandNotFound(config, unknown[1], opts.argv.slice(unknown[1].split(':').length));
    }
    flush();
  } catch (error) {
    await handle(error as Error);
  }
}
