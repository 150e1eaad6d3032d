import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { createContext } from '../../engine/context.js';
import { istioProject } from '../../istio/project.js';
import { createBundle, parseInclude, parsePlatforms } from '../../features/bundle/create.js';
import { humanBytes } from '../../features/bundle/manifest.js';
import { redact } from '../../platform/redact.js';

export default class BundleCreate extends BaseCommand {
  static override summary = 'Write everything this checkout\'s make init, Go build and images need into one file, for a machine with no network.';
  static override description = `Gathers, through devenv's download cache and mirrors: every file make init downloads (per platform), the Go toolchain archive for the required line (verified against the Go download index), the checkout's Go module downloads (GOPROXY layout), and the base and build-tools images as docker save archives. Writes one tar (gzip with --gzip or a .gz name) whose first member is a manifest naming the checkout's line, commit and version and every item's upstream reference, kind, platform, sha256 and size.

A re-run fetches nothing already in the download cache, the bundle's module cache or the local Docker engine. Carry the file over, then run devenv bundle load FILE there.`;
  static override examples = [
    '<%= config.bin %> bundle create -o istio-1.24.tar.gz',
    '<%= config.bin %> bundle create --platform linux/amd64,linux/arm64 --include artifacts,go-toolchain,go-modules',
  ];
  static override flags = {
    dir: Flags.directory({ char: 'C', summary: 'The Istio checkout (default: the current directory).', helpValue: 'CHECKOUT' }),
    output: Flags.string({ char: 'o', summary: 'The bundle file (default devenv-bundle-<version>-<commit>.tar in the current directory).', helpValue: 'FILE' }),
    platform: Flags.string({ summary: 'Comma-separated platforms for artifacts and the Go toolchain (default: this machine\'s).', helpValue: 'linux/amd64,linux/arm64' }),
    include: Flags.string({ summary: 'Comma-separated parts (default: all).', helpValue: 'artifacts,go-toolchain,go-modules,images' }),
    gzip: Flags.boolean({ char: 'z', summary: 'Compress with gzip (also implied by a .gz or .tgz output name).' }),
    config: Flags.file({ summary: 'Config file applied last (also DEVENV_CONFIG).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(BundleCreate);
    const say = (l: string) => process.stderr.write(redact(l, process.env) + '\n');
    const ctx = await createContext({ project: istioProject, dir: flags.dir, configPath: flags.config, log: say });
    const platforms = parsePlatforms(flags.platform, ctx);
    const include = parseInclude(flags.include);
    const r = await createBundle(ctx, { out: flags.output, platforms, include, gzip: flags.gzip || undefined, devenvVersion: this.config.version });
    for (const n of r.manifest.notes) say(`note: ${n}`);
    const fetched = r.fetched.length === 0 ? 'nothing fetched: every item came from the caches' : `${r.fetched.length} fetched, ${r.manifest.items.length - r.fetched.length} from the caches`;
    process.stdout.write(
      `Wrote ${r.file} (${humanBytes(r.bytes)}, ${r.manifest.items.length} items; ${fetched}).\n` +
        `On the machine without network: devenv bundle load ${r.file.split('/').pop()} --dir <checkout>, then devenv fix --all --yes\n`,
    );
  }
}
