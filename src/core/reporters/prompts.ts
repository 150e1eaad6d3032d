/** Interactive questions (only on a TTY). */
import { checkbox, confirm } from '@inquirer/prompts';

export async function askConsent(message: string): Promise<boolean> {
  return confirm({ message, default: false });
}

export async function pickChecks(choices: { id: string; label: string }[]): Promise<string[]> {
  return checkbox({
    message: 'Fix which checks? (space toggles, enter confirms)',
    choices: choices.map((ch) => ({ name: ch.label, value: ch.id, checked: true })),
  });
}

export async function askText(message: string, def?: string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message, default: def });
}
