/**
 * The worker policy's target lists: which secrets inside an allowed store a rotation may touch (a
 * Kubernetes namespace and Secret, a Vault path, an AWS secret id, a GitHub repository, ...). One
 * rule for every store: each store's `policy.ts` names its targets in one written form (see
 * `DestinationPolicyHooks.targets`), and a policy entry is that form exactly, or a prefix
 * followed by `*` (`*` alone: any target). No Node built-ins: the config schema's neighbours
 * import it.
 */

/** The entry that allows every target of a list. */
export const ANY_TARGET = '*';

/** Whether `pattern` (an exact value, or `PREFIX*` for every value that starts with PREFIX) matches `value`. */
export function patternMatches(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

export interface TargetMatchOptions {
  /** Compare without case (GitHub owners and repositories are case-insensitive). @default false */
  ignoreCase?: boolean;
}

/** Whether one of `patterns` allows `target`. */
export function targetAllowed(
  target: string,
  patterns: readonly string[],
  options: TargetMatchOptions = {},
): boolean {
  const fold = (s: string) => (options.ignoreCase ? s.toLowerCase() : s);
  return patterns.some((pattern) => patternMatches(fold(pattern), fold(target)));
}

/** Why a policy may not list `pattern` in a target list, or undefined when it may. */
export function targetPatternProblem(pattern: string): string | undefined {
  if (pattern === '')
    return 'expected a target such as apps/openrouter or a prefix followed by *, got an empty string';
  if (/[\s\0]/.test(pattern)) return 'must not contain whitespace or a NUL byte';
  if (pattern.slice(0, -1).includes('*')) {
    return 'expected * only at the end (a prefix followed by *), as in apps/* or arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*';
  }
  return undefined;
}
