/**
 * A real pseudo-terminal for tests: tmux on a private socket (its own
 * TMUX_TMPDIR), a session of a given size running `bash --norc --noprofile`
 * with the test's environment, keys sent with send-keys and the screen read
 * with capture-pane. Never touches the user's tmux server.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from './env.js';

export function haveTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Tty {
  /** Types text (no Enter). */
  type(text: string): void;
  /** Sends tmux key names: 'Enter', 'C-c', 'Space'. */
  keys(...names: string[]): void;
  /** The visible screen, one string per row (trailing spaces trimmed). */
  screen(): string;
  /** Everything printed so far (history + screen). join: lines the terminal wrapped are joined back (to find over-wide lines). */
  history(opts?: { join?: boolean }): string;
  /** Polls the history until `re` matches; throws with the screen on timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  close(): Promise<void>;
}

export async function openTty(opts: { width: number; height: number; env: Record<string, string | undefined>; cwd?: string }): Promise<Tty> {
  const dir = await tempDir('devenv-tmux-');
  const socket = `devenv-test-${process.pid}-${path.basename(dir)}`;
  const env = {
    ...Object.fromEntries(Object.entries(opts.env).filter(([, v]) => v !== undefined)),
    TMUX_TMPDIR: dir,
    TERM: 'xterm-256color',
  } as NodeJS.ProcessEnv;
  delete env.TMUX;
  const tmux = (args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { env, encoding: 'utf8' });
  tmux(['new-session', '-d', '-s', 't', '-x', String(opts.width), '-y', String(opts.height), '-c', opts.cwd ?? dir, 'bash', '--norc', '--noprofile']);
  tmux(['set-option', '-t', 't', 'history-limit', '20000']);
  tmux(['set-option', '-t', 't', 'remain-on-exit', 'on']);
  // The session's size stays what we asked for (no client attached to resize it).
  tmux(['set-option', '-g', 'window-size', 'manual']);
  tmux(['resize-window', '-t', 't', '-x', String(opts.width), '-y', String(opts.height)]);
  const history = (o: { join?: boolean } = {}) => tmux(['capture-pane', '-p', '-t', 't', '-S', '-', '-E', '-', ...(o.join ? ['-J'] : [])]).replace(/\s+$/, '');
  return {
    type: (text) => void tmux(['send-keys', '-t', 't', '-l', text]),
    keys: (...names) => void tmux(['send-keys', '-t', 't', ...names]),
    screen: () => tmux(['capture-pane', '-p', '-t', 't']).replace(/\s+$/, ''),
    history,
    async waitFor(re, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const text = history();
        const m = text.match(re);
        if (m) return m;
        if (Date.now() > until) throw new Error(`timed out waiting for ${re} on the terminal; it shows:\n${text.split('\n').slice(-60).join('\n')}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    },
    async close() {
      try {
        tmux(['kill-server']);
      } catch {
        // already gone
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
