import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { inspectBundle, renderInspect } from '../../features/bundle/inspect.js';

export default class BundleInspect extends BaseCommand {
  static override summary = 'Show what a bundle holds and whether every item verifies against its manifest.';
  static override description = 'Reads the whole bundle once (streaming) and checks every member: a safe relative path, a regular file, listed in the manifest, with its size and sha256. Exit 0 when it verifies, 1 when it does not.';
  static override examples = ['<%= config.bin %> bundle inspect istio-1.24.tar.gz', '<%= config.bin %> bundle inspect istio-1.24.tar.gz --json'];
  static override args = { file: Args.string({ description: 'The bundle file.', required: true }) };
  static override flags = { json: Flags.boolean({ summary: 'Print one JSON object on stdout and nothing else.' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BundleInspect);
    const r = await inspectBundle(args.file);
    process.stdout.write(flags.json ? JSON.stringify(r, null, 2) + '\n' : renderInspect(r));
    process.exitCode = r.verified ? 0 : 1;
  }
}
