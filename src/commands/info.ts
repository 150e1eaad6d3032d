import { Flags } from '@oclif/core';
import { allChecks } from '../../checks/index.js';
import { BaseCommand } from '../cli/base.js';
import { createContext } from '../engine/context.js';
import { istioProject } from '../istio/project.js';
import { gatherInfo, renderMarkdown, scrub } from '../features/info.js';

export default class InfoCommand extends BaseCommand {
  static override summary = 'Print a Markdown report of this machine and checkout to paste into a GitHub issue (secrets redacted).';
  static override description =
    'OS, CPU, memory, shell; versions of go, docker (client and server), ruby, fpm, tar, kubectl, helm, git, node and devenv; the checkout\'s version, branch, commit and dirty state; HUB/TAG, GOPATH, GO111MODULE, GOPROXY; and the doctor table. Values of secret-looking variables (TOKEN, SECRET, PASSWORD, KEY, AUTH), passwords in URLs and AUTH_HEADER are redacted; your home directory is shown as ~.';
  static override examples = ['<%= config.bin %> info | pbcopy', '<%= config.bin %> info --json'];
  static override flags = {
    json: Flags.boolean({ summary: 'Print the same facts as JSON.' }),
    dir: Flags.directory({ char: 'C', summary: 'The Istio checkout (default: the current directory).', helpValue: 'PATH' }),
    config: Flags.file({ summary: 'Config file applied last (also DEVENV_CONFIG).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(InfoCommand);
    const ctx = await createContext({ project: istioProject, dir: flags.dir, configPath: flags.config });
    const info = await gatherInfo(ctx, this.config.version, allChecks);
    process.stdout.write(flags.json ? scrub(JSON.stringify(info, null, 2), ctx) + '\n' : renderMarkdown(info, ctx));
  }
}
