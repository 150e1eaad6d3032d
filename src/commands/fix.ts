import { istioProject } from '../istio/project.js';
import { Args, Flags } from '@oclif/core';
import { allChecks } from '../../checks/index.js';
import { BaseCommand, PROFILES, commonFlags, expandProfiles, offlineFlag, reporterFor } from '../cli/base.js';
import { askConsent, pickChecks } from '../engine/reporters/prompts.js';
import { fix } from '../engine/run.js';
import { sweepTempDir } from '../platform/files.js';

export default class Fix extends BaseCommand {
  static override summary = 'Fix failing checks: install tools, retag mirrored images, prefetch artifacts, then re-check.';
  static override description = `Each fix is a plan of exact steps (commands with their arguments, files written, images tagged). --dry-run prints the plan and changes nothing. Steps that install software or need sudo ask first on a terminal; without a terminal they run only with --yes. After a fix the check runs again and its real result is reported.

Exit status: 0 when every selected check passes afterwards, 1 otherwise, 2 for usage errors.`;
  static override examples = [
    { description: 'See what fixing everything would do', command: '<%= config.bin %> fix --all --dry-run' },
    { description: 'Fix two checks without questions (CI, scripts)', command: '<%= config.bin %> fix go-version distroless-images --yes' },
    { description: 'Undo the Dockerfile edit made by kubectl-cache', command: '<%= config.bin %> fix --revert kubectl-cache' },
  ];
  static override strict = false;
  static override args = { ids: Args.string({ description: 'Check ids to fix (see `devenv checks`).' }) };
  static override flags = {
    ...commonFlags,
    all: Flags.boolean({ char: 'a', summary: 'Fix every failing check that has a fixer.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Run steps that need consent (sudo, installs) without asking.' }),
    'dry-run': Flags.boolean({ char: 'n', summary: 'Print each plan exactly; change nothing.' }),
    revert: Flags.boolean({ summary: 'Undo what the named checks\' fixes changed (restores backups).' }),
    profile: Flags.string({ summary: 'With --all: which group of checks (build, cluster, pilot-local, all).', multiple: true, options: PROFILES }),
    offline: offlineFlag,
  };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Fix);
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.json;
    // Temp tarballs and work dirs of earlier runs that were killed (their pid is gone).
    if (!flags['dry-run']) await sweepTempDir().catch(() => []);
    const { exitCode } = await fix({
      version: this.config.version,
      reporter: reporterFor(flags),
      checks: allChecks,
      project: istioProject,
      dir: flags.dir,
      configPath: flags.config,
      offline: flags.offline,
      ids: (argv as string[]).flatMap((a) => a.split(',')).filter(Boolean),
      all: flags.all,
      yes: flags.yes,
      dryRun: flags['dry-run'],
      revert: flags.revert,
      profiles: expandProfiles(flags.profile),
      timeoutMs: flags.timeout ? flags.timeout * 1000 : undefined,
      interactive,
      pick: interactive ? pickChecks : undefined,
      confirm: interactive ? (check, step) => askConsent(`${check.id}: ${step.describe}. Run this?`) : undefined,
    });
    process.exitCode = exitCode;
  }
}
