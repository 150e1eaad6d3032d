import { Flags } from '@oclif/core';
import { goRequirement } from '../../checks/go-version.js';
import { BaseCommand } from '../cli/base.js';
import { createContext } from '../engine/context.js';
import { istioProject } from '../istio/project.js';
import { readIstioFacts } from '../istio/facts.js';
import { computeShellEnv, defaultShell, renderShellEnv, type Shell } from '../features/shellenv.js';

export default class ShellEnv extends BaseCommand {
  static override summary = 'Print the exports that put what devenv installed on PATH (Go, gem bins) and set GOPATH, GO111MODULE, GOPROXY.';
  static override description = `Add to your shell profile, or run once in a shell:
  bash/zsh:  eval "$(devenv shellenv)"
  fish:      devenv shellenv --shell fish | source`;
  static override examples = ['eval "$(<%= config.bin %> shellenv)"', '<%= config.bin %> shellenv --shell fish | source'];
  static override flags = {
    shell: Flags.string({ summary: 'Shell syntax (default: from $SHELL).', options: ['bash', 'zsh', 'fish'] }),
    dir: Flags.directory({ char: 'C', summary: 'The Istio checkout (default: the current directory).', helpValue: 'PATH' }),
    config: Flags.file({ summary: 'Config file applied last (also DEVENV_CONFIG).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ShellEnv);
    // Runs in every shell start: only files are read — no subprocess (not even git for the checkout's tag), no check.
    const filesOnly = { ...istioProject, read: (root: string) => readIstioFacts(root) };
    const ctx = await createContext({ project: filesOnly, dir: flags.dir, configPath: flags.config });
    const env = await computeShellEnv(ctx, goRequirement(ctx)?.version);
    process.stdout.write(renderShellEnv(env, (flags.shell as Shell | undefined) ?? defaultShell(ctx.env)));
  }
}
