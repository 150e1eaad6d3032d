import { BaseCommand } from '../../cli/base.js';
import { verifyCache } from '../../features/cachecmd.js';

export default class CacheVerify extends BaseCommand {
  static override summary = 'Recompute the sha256 of every artifact in the download cache; repair the index from the blobs.';
  static override description = `Reads $XDG_CACHE_HOME/devenv (no network). A corrupt or missing index entry is rebuilt from the record kept beside its blob; a blob whose bytes no longer match its sha256 is removed, so the next fix downloads it again and verifies it against the recorded sha256.

Exit status: 0 when everything verified (after repairs), 1 when a recorded artifact's blob is missing.`;
  static override examples = ['<%= config.bin %> cache verify'];

  async run(): Promise<void> {
    await this.parse(CacheVerify);
    const { lines, exitCode } = await verifyCache(process.env);
    process.stdout.write(lines.join('\n') + '\n');
    process.exitCode = exitCode;
  }
}
