/**
 * Redaction: the one function every log line and error message goes through, so that no API key,
 * management key or token is ever printed. OpenRouter keys are shown in OpenRouter's own label form
 * (`sk-or-v1-abc...wxyz`); other registered secrets become `[redacted]`.
 */
const OPENROUTER_KEY = /sk-or-(?:v\d+-)?[A-Za-z0-9]{8,}/g;

/** OpenRouter's masked form of a key: the prefix, 3 characters, "...", the last 4 characters. */
export function labelOfKey(key: string): string {
  const match = /^(sk-or-(?:v\d+-)?)(.*)$/.exec(key);
  const prefix = match?.[1] ?? '';
  const body = match?.[2] ?? key;
  if (body.length < 8) return `${prefix}...`;
  return `${prefix}${body.slice(0, 3)}...${body.slice(-4)}`;
}

const knownSecrets = new Set<string>();

/**
 * Registers a secret that does not look like an OpenRouter key (a Vault token, a client secret) so
 * that {@link redact} hides it wherever it shows up. Values shorter than 6 characters are ignored:
 * masking them would garble ordinary text.
 */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

/** Replaces every OpenRouter key with its label and every registered secret with `[redacted]`. */
export function redact(text: string): string {
  let out = text.replace(OPENROUTER_KEY, (key) => labelOfKey(key));
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}
