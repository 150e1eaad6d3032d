import { istioProject } from '../istio/project.js';
import { Args, Flags } from '@oclif/core';
import { allChecks } from '../../checks/index.js';
import { BaseCommand, PROFILES, commonFlags, expandProfiles, fixHooks, interactive, offlineFlag, reporterFor } from '../cli/base.js';
import { fix } from '../engine/run.js';
import { sweepTempDir } from '../platform/files.js';

export default class Fix extends BaseCommand {
  static override summary = 'Fix failing checks: install tools, retag mirrored images, prefetch artifacts, then re-check.';
  static override description = `Each fix is a plan of exact steps (commands with their arguments, files written, images tagged). --dry-run prints the plan and changes nothing. Steps that install software or need sudo ask first on a terminal; without a terminal they run only with --yes. After a fix the check runs again and its real result is reported.

With neither ids nor --all on a terminal, shows a checklist of the failing checks (all preselected: Enter accepts). Questions come one at a time; answering no to a step skips that fix and the others go on. Ctrl-C at a question ends the run with a summary of what was and was not done.

Exit status: 0 when every selected check passes afterwards, 1 otherwise, 2 for usage errors, 130 when interrupted with Ctrl-C at a question.`;
  static override examples = [
    { description: 'See what fixing everything would do', command: '<%= config.bin %> fix --all --dry-run' },
    { description: 'Fix two checks without questions (CI, scripts)', command: '<%= config.bin %> fix go-version distroless-images --yes' },
    { description: 'Undo the Dockerfile edit made by kubectl-cache', command: '<%= config.bin %> fix --revert kubectl-cache' },
    { description: 'Choose from a checklist of what is failing (on a terminal)', command: '<%= config.bin %> fix' },
  ];
  static override strict = false;
  static override args = { ids: Args.string({ description: 'Check ids to fix, space- or comma-separated (see `devenv checks`).' }) };
  static override flags = {
    ...commonFlags,
    all: Flags.boolean({ char: 'a', summary: 'Fix every failing check that has a fixer.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Run steps that need consent (sudo, installs) without asking.' }),
    'dry-run': Flags.boolean({ char: 'n', summary: 'Print each plan exactly; change nothing.' }),
    revert: Flags.boolean({ summary: 'Undo what the named checks\' fixes changed (restores backups).' }),
    profile: Flags.string({ summary: 'With --all: which group of checks: build (default), cluster, pilot-local, network (opt-in: can the upstreams and mirrors be reached), all. Repeatable.', multiple: true, options: PROFILES }),
    offline: offlineFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Fix);
    // Temp tarballs and work dirs of earlier runs that were killed (their pid is gone).
    if (!flags['dry-run']) await sweepTempDir().catch(() => []);
    const reporter = reporterFor(flags);
    const { exitCode } = await fix({
      version: this.config.version,
      reporter,
      checks: allChecks,
      project: istioProject,
      dir: flags.dir,
      configPath: flags.config,
      offline: flags.offline,
      ids: (argv as string[]).flatMap((a) => a.split(',')).filter(Boolean),
      all: flags.all,
      revert: flags.revert,
      profiles: expandProfiles(flags.profile),
      timeoutMs: flags.timeout ? flags.timeout * 1000 : undefined,
      interactive: interactive(flags),
      ...fixHooks(reporter, flags),
    });
    process.exitCode = exitCode;
  }
}
