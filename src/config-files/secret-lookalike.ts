/**
 * Spots a secret pasted where the NAME of an environment variable belongs, so that error messages
 * can say so without echoing it.
 */
const KNOWN_SECRET_PREFIX = /^(sk-|sk_|pk_|ghp_|gho_|github_pat_|hvs\.|hvb\.|s\.|xox[abpr]-|AKIA|ASIA)/;

/** True when `text` looks like a credential rather than a variable name such as `OPENROUTER_MANAGEMENT_KEY`. */
export function looksLikeSecret(text: string): boolean {
  if (KNOWN_SECRET_PREFIX.test(text)) return true;
  // Variable names are words joined by underscores; tokens are long runs of mixed case and digits.
  const longestWord = Math.max(...text.split('_').map((word) => word.length));
  return longestWord >= 24 && /[a-z]/.test(text) && /[A-Z]/.test(text) && /\d/.test(text);
}
