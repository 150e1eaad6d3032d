import { Args } from '@oclif/core';
import path from 'node:path';
import { BaseCommand } from '../../cli/base.js';
import { SHELLS, type Shell } from '../../cli/completion.js';

/** `devenv autocomplete [SHELL]`: how to turn completion on; the script itself is `autocomplete script SHELL`. */
export default class Autocomplete extends BaseCommand {
  static override summary = 'Show how to set up Tab completion of commands and flags in bash, zsh or fish.';
  static override args = { shell: Args.string({ description: 'bash, zsh or fish (default: from $SHELL).', options: [...SHELLS], required: false }) };
  static override examples = ['<%= config.bin %> autocomplete', '<%= config.bin %> autocomplete zsh', 'eval "$(<%= config.bin %> autocomplete script bash)"'];

  async run(): Promise<void> {
    const { args } = await this.parse(Autocomplete);
    const fromEnv = path.basename(process.env.SHELL ?? '');
    const shell: Shell = (args.shell as Shell | undefined) ?? ((SHELLS as readonly string[]).includes(fromEnv) ? (fromEnv as Shell) : 'bash');
    const bin = this.config.bin;
    const script = `${bin} autocomplete script ${shell}`;
    const text: Record<Shell, string[]> = {
      bash: [
        'Add this line to ~/.bashrc (it runs devenv once per new shell):',
        `  eval "$(${script})"`,
        'or, to start shells faster, save the script once (again after upgrading devenv) and source it from ~/.bashrc:',
        `  ${script} > ~/.local/share/${bin}-completion.bash`,
        `  echo 'source ~/.local/share/${bin}-completion.bash' >> ~/.bashrc`,
      ],
      zsh: [
        'Add this line to ~/.zshrc after compinit (it runs devenv once per new shell):',
        `  eval "$(${script})"`,
        `or save it as _${bin} in a directory on $fpath (again after upgrading devenv):`,
        `  mkdir -p ~/.zfunc && ${script} > ~/.zfunc/_${bin}`,
        "  and in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)",
      ],
      fish: [
        'Save the script where fish looks for completions (again after upgrading devenv):',
        `  ${script} > ~/.config/fish/completions/${bin}.fish`,
        'or, for this session only:',
        `  ${script} | source`,
      ],
    };
    process.stdout.write(
      [
        `Tab completion for ${bin} in ${shell}: commands (${bin} doct<Tab> → ${bin} doctor), their flags (${bin} doctor --<Tab>) and flag values (--profile <Tab>).`,
        '',
        ...text[shell],
        '',
        `Then open a new shell. The script is generated from this ${bin}'s commands and reads no cache.`,
      ].join('\n') + '\n',
    );
  }
}
