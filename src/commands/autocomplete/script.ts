import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { completionScript, completionSpec, SHELLS, type Shell } from '../../cli/completion.js';

/** `devenv autocomplete script SHELL`: the completion script, from the command list oclif has (no command is loaded). */
export default class AutocompleteScript extends BaseCommand {
  static override summary = 'Print the completion script for bash, zsh or fish (see devenv autocomplete).';
  // hidden: listed under `devenv autocomplete`, which prints it, instead of as a topic of its own
  static override hidden = true;
  static override args = { shell: Args.string({ description: 'bash, zsh or fish.', options: [...SHELLS], required: true }) };
  static override examples = ['eval "$(<%= config.bin %> autocomplete script bash)"', '<%= config.bin %> autocomplete script fish > ~/.config/fish/completions/<%= config.bin %>.fish'];

  async run(): Promise<void> {
    const { args } = await this.parse(AutocompleteScript);
    process.stdout.write(completionScript(args.shell as Shell, this.config.bin, completionSpec(this.config.commands)));
  }
}
