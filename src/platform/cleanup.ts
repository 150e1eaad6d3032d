/**
 * Work to finish when devenv is interrupted (Ctrl-C, SIGTERM, SIGHUP): put a
 * moved-aside vendor/ back, stop subprocess trees. Fix steps register a
 * cleanup while they hold something the user owns and unregister it when done;
 * the CLI installs the signal handlers (library code never exits).
 */
export type Cleanup = (signal: NodeJS.Signals) => Promise<void> | void;

const registered = new Set<{ fn: Cleanup; label: string }>();

/** Registers `fn` to run if devenv is interrupted; returns the function that unregisters it. */
export function onInterrupt(label: string, fn: Cleanup): () => void {
  const entry = { fn, label };
  registered.add(entry);
  return () => {
    registered.delete(entry);
  };
}

/** How many cleanups are registered (tests, and the handler's message). */
export function pendingCleanups(): string[] {
  return [...registered].map((e) => e.label);
}

/**
 * Runs every registered cleanup, newest first (a subprocess registered after
 * the vendor/ it writes into is stopped before vendor/ is restored), each
 * bounded by `perCleanupMs`. Failures are reported through `report`, never thrown.
 */
export async function runCleanups(signal: NodeJS.Signals, opts: { perCleanupMs?: number; report?: (line: string) => void } = {}): Promise<void> {
  const entries = [...registered].reverse();
  registered.clear();
  for (const e of entries) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => e.fn(signal)),
        new Promise<void>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${(opts.perCleanupMs ?? 10_000) / 1000}s`)), opts.perCleanupMs ?? 10_000);
        }),
      ]);
    } catch (err) {
      opts.report?.(`devenv: while stopping, ${e.label} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
let installed = false;

/**
 * Installs handlers that run the cleanups, then call `exit(128 + signal
 * number)`. A second signal while cleaning up exits at once. Idempotent.
 */
export function installSignalHandlers(exit: (code: number) => void, report: (line: string) => void): void {
  if (installed) return;
  installed = true;
  let stopping = false;
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      const code = 128 + (NUMBERS[sig] ?? 1);
      if (stopping) {
        exit(code);
        return;
      }
      stopping = true;
      const labels = pendingCleanups();
      if (labels.length > 0) report(`devenv: ${sig}: ${labels.join('; ')} before exiting`);
      void runCleanups(sig, { report }).finally(() => exit(code));
    });
  }
}
