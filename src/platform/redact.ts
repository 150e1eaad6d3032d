/** Removes secrets from text before anything is printed. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|KEY|AUTH|CREDENTIAL)/i;

/** `https://user:pass@host` → `https://user:***@host`. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+):([^/\s@]+)@/gi, '$1$2:***@');
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Redacts URL passwords and the values of secret-looking env vars found in text. */
export function redact(text: string, env: Record<string, string | undefined> = {}): string {
  let out = redactUrl(text);
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 4 || !isSecretName(name)) continue;
    out = out.split(value).join('***');
  }
  return out;
}
