/**
 * Which environment variables a rotation may name. The worker's own settings and secrets (the
 * codec keyring, the Temporal API key, ...) are never a rotation's to read, whatever the policy
 * says. No Node built-ins: the config schema, which the workflow code imports, applies it too.
 */
import { patternMatches } from './target-patterns.js';

/** Prefixes of the worker's own variables. */
export const WORKER_OWN_VARIABLE_PREFIXES = ['KEY_ROTATOR_', 'TEMPORAL_'] as const;

/** Why a rotation may never name the variable `name`, or undefined when it may (policy permitting). */
export function workerOwnVariableProblem(name: string): string | undefined {
  // Case-insensitive: on some systems the environment is, and no honest name differs only by case.
  const upper = name.toUpperCase();
  const prefix = WORKER_OWN_VARIABLE_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix) {
    return `${name} is one of the worker's own variables (${prefix}*), which a rotation may never read`;
  }
  if (upper.endsWith('_FILE')) {
    return `${name} ends in _FILE: such variables hold a path the worker reads; name the variable itself (NAME, the worker also reads NAME_FILE)`;
  }
  return undefined;
}

/** A policy entry: an exact variable name, or `PREFIX*` for every name that starts with PREFIX. */
export function envPatternMatches(pattern: string, name: string): boolean {
  return patternMatches(pattern, name);
}

/** Why a policy may not list `pattern`, or undefined when it may. */
export function envPatternProblem(pattern: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(pattern)) {
    return 'expected a variable name (letters, digits, _) or a prefix followed by * such as INFISICAL_*';
  }
  if (!pattern.endsWith('*')) return workerOwnVariableProblem(pattern);
  const prefix = pattern.slice(0, -1).toUpperCase();
  const clash = WORKER_OWN_VARIABLE_PREFIXES.find((own) => own.startsWith(prefix) || prefix.startsWith(own));
  return clash
    ? `${pattern} would match the worker's own variables (${clash}*), which a rotation may never read`
    : undefined;
}
