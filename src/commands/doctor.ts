import { istioProject } from '../istio/project.js';
import { Flags } from '@oclif/core';
import { allChecks } from '../../checks/index.js';
import { BaseCommand, PROFILES, commonFlags, expandProfiles, fixHooks, interactive, offlineFlag, onlyFlag, reporterFor, splitIds } from '../cli/base.js';
import { doctor } from '../engine/run.js';

export default class Doctor extends BaseCommand {
  static override summary = 'Check this machine and Istio checkout; say what is missing and how to fix it.';
  static override description = `Runs every check concurrently, each with a timeout, and prints one line per check: what was found, what the checkout requires, and the file and line the requirement was read from.

With --fix, then fixes what it found (like devenv fix --all), asking before steps that need consent; without a terminal those run only with --yes.

Exit status: 0 when no check fails (warnings allowed), 1 when a check fails, 2 for usage errors. With --fix: 0 only when every fixed check passes afterwards; 130 when interrupted with Ctrl-C at a question.`;
  static override examples = [
    { description: 'Check the checkout in the current directory', command: '<%= config.bin %> doctor' },
    { description: 'Only some checks, machine-readable', command: '<%= config.bin %> doctor --only go-version,docker-daemon --json' },
    { description: 'A checkout elsewhere, with a longer timeout', command: '<%= config.bin %> doctor --dir ~/go/src/istio.io/istio --timeout 30' },
    { description: 'Also the cluster and local-pilot checks', command: '<%= config.bin %> doctor --profile all' },
    { description: 'Fix what doctor finds, asking before installs and edits', command: '<%= config.bin %> doctor --fix' },
    { description: 'Only the problems (for a shell prompt or a CI log)', command: '<%= config.bin %> doctor --quiet' },
  ];
  static override flags = {
    ...commonFlags,
    only: onlyFlag,
    fix: Flags.boolean({ summary: 'Then fix what was found, with the same consent rules as devenv fix.' }),
    yes: Flags.boolean({ char: 'y', summary: 'With --fix: run steps that need consent (sudo, installs, edits) without asking.', dependsOn: ['fix'] }),
    profile: Flags.string({
      summary: 'Which group of checks: build (default), cluster, pilot-local, network (opt-in: can the upstreams and mirrors be reached), all. Repeatable.',
      multiple: true,
      options: PROFILES,
    }),
    offline: offlineFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Doctor);
    const reporter = reporterFor(flags);
    const { exitCode } = await doctor({
      version: this.config.version,
      reporter,
      fix: flags.fix ? fixHooks(reporter, flags) : undefined,
      checks: allChecks,
      project: istioProject,
      dir: flags.dir,
      configPath: flags.config,
      offline: flags.offline,
      only: splitIds(flags.only),
      profiles: expandProfiles(flags.profile),
      timeoutMs: flags.timeout ? flags.timeout * 1000 : undefined,
      interactive: interactive(flags),
    });
    process.exitCode = exitCode;
  }
}
