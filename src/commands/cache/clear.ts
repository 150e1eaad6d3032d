import { Args, Flags } from '@oclif/core';
import { BaseCommand, interactive } from '../../cli/base.js';
import { cacheSummary, clearCache } from '../../features/cachecmd.js';
import { UsageError } from '../../platform/errors.js';
import { humanSize } from '../../platform/files.js';

export default class CacheClear extends BaseCommand {
  static override summary = 'Forget cached artifacts and their recorded sha256: the upstream URLs given, or all of them (asks first).';
  static override description = `With URLs: removes the sha256 recorded for each upstream URL (and its blob when no other URL uses it), e.g. after the upstream legitimately replaced an artifact that publishes no checksum and devenv reports a mismatch with the first-use record. Without URLs: removes the whole download cache, after asking on a terminal; without a terminal only with --yes. What it holds may not be downloadable again: artifacts loaded from a bundle, or fetched on another network.

Exit status: 0; 1 when a URL given was not in the cache; 2 when clearing everything was neither confirmed nor given --yes.`;
  static override examples = [
    '<%= config.bin %> cache clear https://storage.googleapis.com/kubernetes-helm/helm-v2.14.3-linux-amd64.tar.gz',
    '<%= config.bin %> cache clear',
    { description: 'Everything, without a question (scripts)', command: '<%= config.bin %> cache clear --yes' },
  ];
  static override strict = false;
  static override args = { urls: Args.string({ description: 'Upstream URLs to forget (default: everything, after a confirmation).' }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', summary: 'Clear the whole cache without asking.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(CacheClear);
    const urls = argv as string[];
    if (urls.length === 0 && !flags.yes) {
      const s = await cacheSummary(process.env);
      if (s.artifacts > 0) {
        const what = `the whole download cache ${s.dir} (${s.artifacts} artifact${s.artifacts === 1 ? '' : 's'}, ${humanSize(s.bytes)})`;
        if (!interactive({})) {
          throw new UsageError(`cache clear without URLs removes ${what}; nothing was removed`, [
            'devenv cache clear --yes   (remove it all)',
            'devenv cache clear URL…    (forget only these)',
          ]);
        }
        const { askConfirm } = await import('../../engine/reporters/prompts.js');
        if (!(await askConfirm(`Remove ${what}? Artifacts loaded from a bundle or fetched on another network may not download again here.`))) {
          process.stdout.write('Nothing was removed.\n');
          return;
        }
      }
    }
    const { lines, exitCode } = await clearCache(process.env, urls);
    process.stdout.write(lines.join('\n') + '\n');
    process.exitCode = exitCode;
  }
}
