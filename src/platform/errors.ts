/** Errors the user can act on. The CLI prints them without a stack trace. */
export class DevenvError extends Error {
  readonly exitCode: number;
  readonly suggestions: string[];
  constructor(message: string, opts: { exitCode?: number; suggestions?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DevenvError';
    this.exitCode = opts.exitCode ?? 1;
    this.suggestions = opts.suggestions ?? [];
  }
}

/** Bad flags, unknown ids, bad paths: exit code 2. */
export class UsageError extends DevenvError {
  constructor(message: string, suggestions: string[] = []) {
    super(message, { exitCode: 2, suggestions });
    this.name = 'UsageError';
  }
}

/** A config file that cannot be used: names the file and the key. Exit code 2. */
export class ConfigError extends DevenvError {
  readonly file: string;
  readonly key?: string;
  constructor(file: string, message: string, key?: string) {
    super(`${file}: ${key ? `${key}: ` : ''}${message}`, {
      exitCode: 2,
      suggestions: ['See the "Configuration" section of the README for every key and its type.'],
    });
    this.name = 'ConfigError';
    this.file = file;
    this.key = key;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
