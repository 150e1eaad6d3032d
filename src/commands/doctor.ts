import { istioProject } from '../istio/project.js';
import { Flags } from '@oclif/core';
import { allChecks } from '../../checks/index.js';
import { BaseCommand, PROFILES, commonFlags, expandProfiles, offlineFlag, reporterFor, splitIds } from '../cli/base.js';
import { doctor } from '../engine/run.js';

export default class Doctor extends BaseCommand {
  static override summary = 'Check this machine and Istio checkout; say what is missing and how to fix it.';
  static override description = `Runs every check concurrently, each with a timeout, and prints one line per check: what was found, what the checkout requires, and the file and line the requirement was read from.

Exit status: 0 when no check fails (warnings allowed), 1 when a check fails, 2 for usage errors.`;
  static override examples = [
    { description: 'Check the checkout in the current directory', command: '<%= config.bin %> doctor' },
    { description: 'Only some checks, machine-readable', command: '<%= config.bin %> doctor --only go-version,docker-daemon --json' },
    { description: 'A checkout elsewhere, with a longer timeout', command: '<%= config.bin %> doctor --dir ~/go/src/istio.io/istio --timeout 30' },
    { description: 'Also the cluster and local-pilot checks', command: '<%= config.bin %> doctor --profile all' },
  ];
  static override flags = {
    ...commonFlags,
    only: Flags.string({ summary: 'Run only these check ids (comma-separated or repeated); prerequisites run too.', multiple: true, helpValue: 'ID,...' }),
    profile: Flags.string({
      summary: 'Which group of checks: build (default), cluster, pilot-local, network (opt-in: can the upstreams and mirrors be reached), all. Repeatable.',
      multiple: true,
      options: PROFILES,
    }),
    offline: offlineFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const { exitCode } = await doctor({
      version: this.config.version,
      reporter: reporterFor(flags),
      checks: allChecks,
      project: istioProject,
      dir: flags.dir,
      configPath: flags.config,
      offline: flags.offline,
      only: splitIds(flags.only),
      profiles: expandProfiles(flags.profile),
      timeoutMs: flags.timeout ? flags.timeout * 1000 : undefined,
      interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    });
    process.exitCode = exitCode;
  }
}
