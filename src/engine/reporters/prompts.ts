/**
 * Interactive questions (only on a TTY). @inquirer/prompts is loaded only when
 * a question is asked.
 *
 * Exactly one question is on screen at a time: every question goes through an
 * Asker, a queue that opens the next one only when the previous is answered,
 * and that holds the reporter (spinner stopped, progress lines kept back) while
 * a question is open. Ctrl-C at a question (inquirer's ExitPromptError) marks
 * the run interrupted: that question and every later one answer "no" without
 * being shown, so the run ends with a summary of what was and was not done.
 */
import type { Check, FixStep } from '../check.js';
import { truncate } from './layout.js';

/** What the asker needs from the reporter: stop drawing while a question is open. */
export interface Holdable {
  hold(): void;
  release(): void;
  /** Prints lines above the question (wrapped to the terminal). */
  print(lines: string[]): void;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C)');
    this.name = 'Interrupted';
  }
}

const isExitPrompt = (err: unknown) => err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');

export interface Asker {
  /** True once the person pressed Ctrl-C at a question. */
  readonly interrupted: boolean;
  /** Asks about one consent step of a fix, showing the whole step first. false when declined or interrupted. */
  consent(check: Check, step: FixStep, info: { index: number; total: number; notes?: string[] }): Promise<boolean>;
  /** The checklist of checks to fix; throws Interrupted on Ctrl-C. */
  pick(choices: { id: string; label: string }[]): Promise<string[]>;
}

export function createAsker(ui: Holdable, width = 80): Asker {
  let chain: Promise<unknown> = Promise.resolve();
  let interrupted = false;
  /** Runs `fn` after every earlier question is answered, with the reporter held. */
  const queued = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(async () => {
      ui.hold();
      try {
        return await fn();
      } finally {
        ui.release();
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    get interrupted() {
      return interrupted;
    },
    consent(check, step, info) {
      return queued(async () => {
        if (interrupted) return false;
        ui.print(describeStep(check, step, info));
        const { confirm } = await import('@inquirer/prompts');
        try {
          return await confirm({ message: 'Run this step?', default: false });
        } catch (err) {
          if (!isExitPrompt(err)) throw err;
          interrupted = true;
          return false;
        }
      });
    },
    pick(choices) {
      return queued(async () => {
        if (interrupted) throw new Interrupted();
        const { checkbox } = await import('@inquirer/prompts');
        try {
          return await checkbox({
            message: 'Fix which checks? (space toggles, enter confirms)',
            // One row per choice, cut to the terminal; the answer line lists ids only.
            choices: choices.map((ch) => ({ name: truncate(ch.label, width - 6), value: ch.id, short: ch.id, checked: true })),
            pageSize: 20,
          });
        } catch (err) {
          if (!isExitPrompt(err)) throw err;
          interrupted = true;
          throw new Interrupted();
        }
      });
    },
  };
}

/** The whole step, before its question: what runs (command and arguments), which files it touches, why it asks. */
export function describeStep(check: Check, step: FixStep, info: { index: number; total: number; notes?: string[] }): string[] {
  const lines = ['', `${check.title} [${check.id}] — step ${info.index} of ${info.total} needs your consent:`];
  lines.push(`    ${step.command ? 'runs: ' : 'does: '}    ${step.describe}`);
  const cmd = step.command ? [step.command.cmd, ...step.command.args].map(quoteArg).join(' ') : undefined;
  if (cmd && !step.describe.includes(cmd)) lines.push(`    runs:     ${cmd}`);
  if (step.files?.length) lines.push(`    touches:  ${step.files.join(', ')}`);
  for (const n of info.notes ?? []) lines.push(`    note:     ${n}`);
  lines.push('    Answer n to skip this fix; the other fixes go on.');
  return lines;
}

function quoteArg(a: string): string {
  return a === '' || /[^\w@%+=:,./-]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a;
}

/** Free-text question with validation (env init). Ctrl-C ends the command with exit 130. */
export async function askValidated(name: string, def: string | undefined, validate: (v: string) => string | true): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message: `${name}:`, default: def, validate }).catch((err) => {
    throw isExitPrompt(err) ? new Interrupted() : err;
  });
}

export async function askConfirm(message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: false }).catch((err) => {
    throw isExitPrompt(err) ? new Interrupted() : err;
  });
}
