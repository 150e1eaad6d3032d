import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { clearCache } from '../../features/cachecmd.js';

export default class CacheClear extends BaseCommand {
  static override summary = 'Forget cached artifacts and their recorded sha256: all of them, or the upstream URLs given.';
  static override description = `With URLs: removes the sha256 recorded for each upstream URL (and its blob when no other URL uses it), e.g. after the upstream legitimately replaced an artifact that publishes no checksum and devenv reports a mismatch with the first-use record. Without URLs: removes the whole download cache.

Exit status: 0, or 1 when a URL given was not in the cache.`;
  static override examples = [
    '<%= config.bin %> cache clear https://storage.googleapis.com/kubernetes-helm/helm-v2.14.3-linux-amd64.tar.gz',
    '<%= config.bin %> cache clear',
  ];
  static override strict = false;
  static override args = { urls: Args.string({ description: 'Upstream URLs to forget (default: everything).' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(CacheClear);
    const { lines, exitCode } = await clearCache(process.env, argv as string[]);
    process.stdout.write(lines.join('\n') + '\n');
    process.exitCode = exitCode;
  }
}
