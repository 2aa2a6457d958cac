/**
 * The field schemas the whole config shares: durations, variable names, service URLs, paths and
 * credential references. The rotation schema and every destination's schema
 * (src/stores/<type>/schema.ts) build on them, so each rule is written once.
 *
 * No Node built-ins: the workflow imports the config schema.
 */
import { z } from 'zod';
import { workerOwnVariableProblem } from './env-name-rules.js';
import { pathProblem } from './path-rules.js';
import { serviceUrlProblem } from './url-rules.js';
import { DURATION_PATTERN, tryParseDuration } from './duration.js';

/** A variable name: letters, digits and `_`, no leading digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Adds the issue `problem` finds, if any (one message per rule, written where the rule lives). */
export function rule(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.core.$RefinementCtx<string>) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}

export const durationString = z
  .string()
  .regex(DURATION_PATTERN, 'expected a duration such as 24h, 30m, 1h30m or 0s')
  .refine((s) => !DURATION_PATTERN.test(s) || tryParseDuration(s) !== undefined, 'duration is too large');

export const envVarName = z
  .string()
  .regex(ENV_NAME, 'expected the NAME of an environment variable (letters, digits, _), not a secret')
  // Never the worker's own secrets (codec keyring, Temporal API key), whatever the worker policy says.
  .superRefine(rule((name) => (ENV_NAME.test(name) ? workerOwnVariableProblem(name) : undefined)));

/**
 * A URL the worker sends credentials to: https (http only to a loopback host), no user:pass@, no
 * query or fragment. Which hosts are allowed at all is the worker policy's decision.
 */
export const serviceUrl = z
  .url({ error: 'expected an absolute URL such as https://vault.example.com:8200' })
  .superRefine(rule((url) => (URL.canParse(url) ? serviceUrlProblem(url) : undefined)));

/** A `.` or `..` segment, also percent-encoded: the URL parser resolves `%2e%2e` like `..`. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * One segment of a URL path the worker sends a request to (a project, an owner, a secret name): no
 * `/`, and not `.` or `..`, which the URL parser would resolve into another path (`%2e%2e` too).
 */
export const pathSegment = z
  .string()
  .min(1)
  .refine((s) => !s.includes('/'), 'must not contain /')
  .refine((s) => !DOT_SEGMENT.test(s), 'must not be . or .. (the request would go to another path)');

/**
 * Why `path`, a path inside a store (a Vault mount or secret path, an Infisical folder), is not in
 * normal form once leading and trailing `/` are dropped: `.`, `..` or empty segments. In normal
 * form, the path the worker policy checks is the path the request goes to.
 */
export function storePathProblem(path: string): string | undefined {
  const inner = path.replace(/^\/+|\/+$/g, '');
  if (inner === '') return 'expected a path with at least one segment';
  if (inner.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
    return 'expected a normalised path: no "." or ".." segments';
  }
  return pathProblem(inner);
}

/** A path inside a store, see {@link storePathProblem}. */
export const storePath = z.string().min(1).superRefine(rule(storePathProblem));

/** A path the worker reads or writes, in normal form (no `.`, `..` or empty segments). */
export const normalisedPath = z.string().min(1).superRefine(rule(pathProblem));

/** A credential reference: the name of an environment variable or the path of a file, never the value. */
export const secretRef = z
  .object({
    /** Name of the environment variable holding the value. */
    env: envVarName.optional(),
    /** Path of a file holding the value (trailing newline ignored). */
    file: normalisedPath.optional(),
  })
  .strict()
  .refine((r) => (r.env === undefined) !== (r.file === undefined), 'set exactly one of env or file');
export type SecretRef = z.infer<typeof secretRef>;
