/**
 * V8 settings for the commands that run checks, fixes and downloads (issue 14:
 * peak RSS), applied by the entries (boot.ts, sea.ts) once the command's
 * bundle has loaded:
 *
 *   --no-opt                        no TurboFan: a run is seconds of I/O-bound
 *                                   work, and the optimising compiler's own code
 *                                   and zone memory cost ~3 MiB of peak RSS in
 *                                   doctor and ~9 MiB in fix --all, for no
 *                                   measurable speed-up (Ignition and Sparkplug
 *                                   still run)
 *   --semi-space-growth-factor=1    the young generation stays at the size it
 *                                   has when the command starts instead of
 *                                   doubling under allocation (streams,
 *                                   subprocess output): ~2 MiB in doctor, ~7 MiB
 *                                   in fix --all
 *   --expose-gc                     lets a download collect the chunks it is
 *                                   done with every few MiB (src/platform/gc.ts:
 *                                   a context made after this has `gc`)
 *
 * Not earlier: a flag set before node's builtins load makes V8 reject their
 * embedded code cache (its flag hash changes), ~10 ms more start-up; by the time
 * a command's bundle has loaded, the builtins it needs have too. Not in the
 * build either: the code caches it writes carry the flag hash of when they are
 * made, and must match the one a bundle is compiled under (the default).
 */
export const RUN_V8_FLAGS = ['--no-opt', '--semi-space-growth-factor=1', '--expose-gc'] as const;

/**
 * The commands that get them: the ones that run for long. The others start
 * faster without loading node:v8; and none of these loads a second command's
 * bundle, which would be compiled after the flags changed (its code cache
 * rejected).
 */
export const TUNED_COMMANDS: ReadonlySet<string> = new Set(['doctor', 'fix', 'bundle:create', 'bundle:load']);

let tuned = false;

/** For a command in TUNED_COMMANDS, sets RUN_V8_FLAGS (once) through node:v8, loaded by the host's require. */
export function tuneForRun(id: string, hostRequire: (id: string) => unknown): void {
  if (tuned || !TUNED_COMMANDS.has(id)) return;
  tuned = true;
  const v8 = hostRequire('node:v8') as typeof import('node:v8');
  for (const flag of RUN_V8_FLAGS) v8.setFlagsFromString(flag);
}
