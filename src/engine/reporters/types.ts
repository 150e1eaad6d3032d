import type { Check, TimedResult } from '../check.js';
import type { EngineEvent, FixOutcome } from '../engine.js';

export interface ReportMeta {
  version: string;
  root: string | null;
  project: { kind: string; version: string | null } | null;
  /** How devenv reaches the network: the proxy in effect (credentials redacted) and the mode. */
  network?: { proxy: string; mode: string };
}

export interface Reporter {
  /** Live progress from the engine. */
  onEvent(e: EngineEvent): void;
  /** Progress lines from fix steps (downloads, pulls). */
  log(line: string): void;
  doctor(meta: ReportMeta, checks: readonly Check[], results: readonly TimedResult[]): void;
  fix(meta: ReportMeta, checks: readonly Check[], outcomes: readonly FixOutcome[], opts: { dryRun: boolean; revert: boolean }): void;
  /** Stops spinners; called before prompts and at exit. */
  pause(): void;
}

export interface Output {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  color: boolean;
}

export function summarize(results: readonly { status: string }[]) {
  const s = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) s[r.status as keyof typeof s]++;
  return s;
}
