/**
 * The Check contract: every module in checks/ exports one plain object that
 * `satisfies Check`. A check never throws for an unhealthy machine: it returns
 * a result. The engine turns a thrown error into a `fail` naming the check.
 */
import type { Context } from './context.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export const CATEGORIES = ['toolchain', 'docker', 'repository', 'artifacts', 'workspace', 'cluster', 'network'] as const;
export type Category = (typeof CATEGORIES)[number];

export const PROFILES = ['build', 'cluster', 'pilot-local', 'network'] as const;
export type Profile = (typeof PROFILES)[number];

export interface CheckResult {
  status: Status;
  /** One line: what is true now. */
  summary: string;
  /** What was found on this machine (a version, a path, "missing"). */
  found?: string;
  /** What the build requires. */
  required?: string;
  /** Where `required` was read: `go.mod:3`, `istio.deps`, `docker/Dockerfile.kubectl:10`. */
  source?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Extra lines shown with --verbose (and always in JSON). */
  details?: string[];
}

/** Whether a failing check's fix is carried out by devenv or is instructions for the person. */
export type FixKind = 'auto' | 'manual';

/** One thing a fix does. `describe` is exactly what `--dry-run` prints. */
export interface FixStep {
  /** e.g. "exec", "download", "write", "edit", "tag", "untag", "pull", "mkdir", "extract", "manual". */
  kind: string;
  /** Human line; for exec steps the full command line, quoted. */
  describe: string;
  /** The command, when the step runs one (argument array, never a shell string). */
  command?: { cmd: string; args: string[] };
  /** Needs the user's consent: sudo, installing software, editing tracked files. */
  consent?: boolean;
  /** Files or directories the step writes (shown with its consent question). */
  files?: string[];
  /**
   * Performs the step; throws (ideally a DevenvError) on failure.
   * Absent for `manual` steps: instructions devenv cannot carry out itself.
   */
  run?: (ctx: Context<any>) => Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface FixPlan {
  steps: FixStep[];
  /**
   * Steps are independent (e.g. one per image): run them all concurrently and
   * report every failure, instead of stopping at the first.
   */
  concurrent?: boolean;
  /** Lines shown before the steps (caveats such as "log out and back in"). */
  notes?: string[];
}

/** P is the project's facts type (`ctx.project`); the engine runs checks of any project. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Check<P = any> {
  /** Stable kebab-case id; also the file name in checks/. */
  id: string;
  title: string;
  category: Category;
  /** Profiles this check belongs to; default ['build']. */
  profiles?: readonly Profile[];
  /**
   * Runs only when one of its profiles is named, never as part of `all`
   * (e.g. a check that contacts hosts outside the machine).
   */
  optIn?: boolean;
  /** What the check verifies (shown by `devenv checks`). */
  description: string;
  /** What its fix does (shown by `devenv checks`); absent when there is no fixer. */
  fixDescription?: string;
  /** Ids of checks that must be ok (or warn) before this one means anything. */
  needs?: readonly string[];
  /** true when the check applies; otherwise false or the reason it does not. */
  appliesTo?: (ctx: Context<P>) => boolean | string | Promise<boolean | string>;
  run: (ctx: Context<P>) => Promise<CheckResult>;
  /**
   * What kind of fix `fix` would produce for this result, known without
   * building the plan (doctor never builds plans: they may read the network).
   * Default: 'auto' when there is a fixer.
   */
  fixKind?: FixKind | ((result: CheckResult) => FixKind);
  /** Builds the plan that makes the check pass. Runs only when the check is not ok. */
  fix?: (ctx: Context<P>, result: CheckResult) => Promise<FixPlan>;
  /** Undo what the fix changed (e.g. restore an edited file from its backup). */
  revert?: (ctx: Context<P>) => Promise<FixPlan>;
}

export interface TimedResult extends CheckResult {
  id: string;
  durationMs: number;
  /** The check itself threw (a devenv bug), as opposed to finding the machine unhealthy. */
  crashed?: boolean;
}

/** The kind of fix a check offers for this result: null when it has none or nothing to fix. */
export function fixKindOf(check: Check | undefined, r: CheckResult): FixKind | null {
  if (!check?.fix || (r.status !== 'fail' && r.status !== 'warn') || (r as TimedResult).crashed) return null;
  const k = check.fixKind ?? 'auto';
  return typeof k === 'function' ? k(r) : k;
}
