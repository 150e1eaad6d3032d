/** Interactive questions (only on a TTY). @inquirer/prompts is loaded only when a question is asked. */

export async function askConsent(message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: false });
}

export async function pickChecks(choices: { id: string; label: string }[]): Promise<string[]> {
  const { checkbox } = await import('@inquirer/prompts');
  return checkbox({
    message: 'Fix which checks? (space toggles, enter confirms)',
    choices: choices.map((ch) => ({ name: ch.label, value: ch.id, checked: true })),
  });
}

export async function askValidated(name: string, def: string | undefined, validate: (v: string) => string | true): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message: `${name}:`, default: def, validate });
}

export async function askConfirm(message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: false });
}
