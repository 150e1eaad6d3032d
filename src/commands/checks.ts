import { allChecks } from '../../checks/index.js';
import { BaseCommand, output } from '../cli/base.js';
import { Flags } from '@oclif/core';
import { listChecks } from '../engine/reporters/list.js';

export default class Checks extends BaseCommand {
  static override summary = 'List every check: its id, category, what it verifies and what its fix does.';
  static override examples = ['<%= config.bin %> checks', '<%= config.bin %> checks --json'];
  static override flags = { json: Flags.boolean({ summary: 'Print the list as JSON.' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Checks);
    listChecks(output(), allChecks, { json: flags.json });
  }
}
