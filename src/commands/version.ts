import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';

/** `devenv version`: what `--version` prints; --verbose and --json add where and on what it runs. Contacts nothing. */
export default class Version extends BaseCommand {
  static override summary = 'Print the version of devenv (the same as --version).';
  static override flags = {
    verbose: Flags.boolean({ char: 'v', summary: 'Also print the OS, shell and where devenv runs from.' }),
    json: Flags.boolean({ summary: 'Print {cliVersion, architecture, nodeVersion, …} as JSON.' }),
  };
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --verbose', '<%= config.bin %> version --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const d = this.config.versionDetails;
    const details = { cliVersion: d.cliVersion, architecture: d.architecture, nodeVersion: d.nodeVersion };
    const verbose = { ...details, osVersion: d.osVersion, shell: d.shell ?? 'unknown', rootPath: d.rootPath };
    if (flags.json) process.stdout.write(JSON.stringify(flags.verbose ? verbose : details, null, 2) + '\n');
    else if (flags.verbose) {
      const rows: [string, string | undefined][] = [
        ['version', d.cliVersion],
        ['architecture', d.architecture],
        ['node', d.nodeVersion],
        ['OS', d.osVersion],
        ['shell', verbose.shell],
        ['runs from', d.rootPath],
      ];
      process.stdout.write(rows.map(([k, v]) => `${k.padEnd(13)}${v ?? 'unknown'}`).join('\n') + '\n');
    } else process.stdout.write(this.config.userAgent + '\n');
  }
}
