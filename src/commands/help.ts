import { Args, Flags, loadHelpClass } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { notFound } from '../cli/suggest.js';
import { UsageError } from '../platform/errors.js';

/** `devenv help [COMMAND...]`: oclif's own help, the same text as `COMMAND --help`. */
export default class Help extends BaseCommand {
  static override summary = 'Show help for devenv or for a command (the same as COMMAND --help).';
  static override args = { command: Args.string({ description: 'The command, as typed (e.g. doctor, bundle create).', required: false }) };
  static override flags = { 'nested-commands': Flags.boolean({ char: 'n', summary: 'Include all nested commands in the list.' }) };
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help doctor', '<%= config.bin %> help bundle create'];
  static override strict = false;

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Help);
    const words = (argv as string[]).filter((a) => !a.startsWith('-'));
    const id = words.join(':');
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const nf = notFound(this.config, id, []);
      throw new UsageError(nf.message, [...nf.matches.map((m) => `${this.config.bin} help ${m.split(':').join(' ')}`), `${this.config.bin} help`]);
    }
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, { all: flags['nested-commands'] }).showHelp(words);
  }
}
