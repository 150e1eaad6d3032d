import { Flags } from '@oclif/core';
import { BaseCommand, interactive as canAsk } from '../../cli/base.js';
import { envInit } from '../../features/envinit.js';
import { askConfirm, askValidated } from '../../engine/reporters/prompts.js';

export default class EnvInit extends BaseCommand {
  static override summary = 'Write HUB and TAG (for make docker.push) into the checkout\'s .istiorc.mk, where make reads them.';
  static override description = `On a terminal, asks for HUB and TAG (defaults: current values, TAG = <checkout version>-dev) and asks before changing a value already there. Without a terminal, pass --hub and/or --tag. The values go into .istiorc.mk, which the Makefile of every Istio line includes (make never reads .env), as \`HUB ?= …\` (so a HUB in your environment still wins); an existing assignment keeps its operator. Every other line (comments, order, line endings, bytes) is kept; the previous file is kept as .istiorc.mk.devenv-backup.`;
  static override examples = ['<%= config.bin %> env init', '<%= config.bin %> env init --hub docker.io/jane --tag 1.4-dev'];
  static override flags = {
    hub: Flags.string({ summary: 'Image repository to push to, e.g. docker.io/<you> or gcr.io/<project>.' }),
    tag: Flags.string({ summary: 'Image tag, e.g. 1.4-dev.' }),
    dir: Flags.directory({ char: 'C', summary: 'The Istio checkout (default: the current directory).', helpValue: 'PATH' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(EnvInit);
    const interactive = canAsk({});
    process.exitCode = await envInit({
      dir: flags.dir,
      hub: flags.hub,
      tag: flags.tag,
      ask: interactive && (flags.hub === undefined || flags.tag === undefined) ? askValidated : undefined,
      confirm: interactive ? askConfirm : undefined,
      say: (l) => process.stdout.write(l + '\n'),
    });
  }
}
