import type { Check, TimedResult } from '../check.js';
import type { EngineEvent, FixOutcome } from '../engine.js';

/** What is in effect for this run: shown in the human header and in --json. */
export interface InEffect {
  /** Config files read, in the order applied. */
  configFiles: string[];
  prefer: 'upstream' | 'mirror' | 'mirror-only';
  /** URL prefix rules (`mirrors.urls`). */
  urls: Record<string, string>;
  /** Image prefix rules (`mirrors.images`), with the built-in default marked. */
  images: Record<string, string>;
  defaultImages: Record<string, string>;
  /** Other sources devenv fetches from, when configured (go.downloadBase, go.proxy, gem.source). */
  sources: Record<string, string>;
}

export interface ReportMeta {
  version: string;
  root: string | null;
  project: { kind: string; version: string | null } | null;
  /** How devenv reaches the network: the proxy in effect (credentials redacted) and the mode. */
  network?: { proxy: string; mode: string };
  inEffect?: InEffect;
  /**
   * Why not every check of the build profile ran (`--only go-version`, `--profile cluster`):
   * then a clean run says its selection passes, never "Ready to build".
   */
  partial?: string;
}

export interface FixReportOptions {
  dryRun: boolean;
  revert: boolean;
  /** The person pressed Ctrl-C at a question: say what was done and what was not. */
  interrupted?: boolean;
}

export interface Reporter {
  /** Live progress from the engine. */
  onEvent(e: EngineEvent): void;
  /** Progress lines and notes from fix steps (downloads, pulls, mirror used). */
  log(line: string): void;
  /** `following: 'fix'`: `doctor --fix` will report fixes next (JSON prints one object for both). */
  doctor(meta: ReportMeta, checks: readonly Check[], results: readonly TimedResult[], opts?: { following?: 'fix' }): void;
  fix(meta: ReportMeta, checks: readonly Check[], outcomes: readonly FixOutcome[], opts: FixReportOptions): void;
  /** Stops spinners and keeps progress lines back while a question is open. */
  hold(): void;
  /** Lets progress draw again and prints what was kept back. */
  release(): void;
  /** Lines shown above a question. */
  print(lines: string[]): void;
}

export interface Output {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  color: boolean;
  /** Columns to wrap at on a terminal (unknown or 0 → 80); null when not a terminal (pipes and files get one logical line per line, for grep). */
  width: number | null;
  /** A live spinner may be drawn: a TTY that reports its width, and not CI. */
  live: boolean;
}

export function summarize(results: readonly { status: string }[]) {
  const s = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) s[r.status as keyof typeof s]++;
  return s;
}
