/**
 * Checks, before anything is changed, that the credentials a configuration refers to are there:
 * the management-key variable of every rotation (or `<NAME>_FILE`, as the worker accepts) and every
 * variable or file a destination names. With a worker policy, also what that policy would refuse
 * (decided once, by findPolicyProblems), and then nothing it refuses is looked for: apply and the
 * worker give the same verdict.
 * Values are never read into messages, only the names.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { checkRotationAgainstPolicy } from './check-rotation.js';
import type { WorkerPolicy } from './worker-policy-schema.js';
import type { ConfigIssue } from '../config-files/config-file-error.js';
import type { RotationsConfig } from '../config/schema.js';
import type { SecretRef } from '../fields/field-schemas.js';

export interface CheckEnvironmentOptions {
  /** Folder that relative `file` references resolve from. @default process.cwd() */
  cwd?: string;
  /** Whether a file exists. @default fs.existsSync */
  fileExists?: (file: string) => boolean;
  /** What the worker policy refuses in the config ({@link findPolicyProblems}): not looked for here. */
  policyProblems?: readonly ConfigIssue[];
}

/** What `policy` would refuse in `config`, one issue per refused field (empty when the worker runs it all). */
export function findPolicyProblems(
  config: RotationsConfig,
  policy: WorkerPolicy,
  options: Pick<CheckEnvironmentOptions, 'cwd'> = {},
): ConfigIssue[] {
  return config.rotations.flatMap((rotation, i) =>
    checkRotationAgainstPolicy(rotation, policy, { cwd: options.cwd }).map((violation) => ({
      path: `rotations[${i}].${violation.path}`,
      message: `${policy.name} would refuse rotation "${rotation.name}": ${violation.message}`,
    })),
  );
}

function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ref = value as Record<string, unknown>;
  return typeof ref.env === 'string' || typeof ref.file === 'string';
}

/** Every credential reference inside `value`, with its path. */
function secretRefsIn(value: unknown, at: string): { path: string; ref: SecretRef }[] {
  if (isSecretRef(value)) return [{ path: at, ref: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => secretRefsIn(item, `${at}[${i}]`));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([key, child]) => secretRefsIn(child, `${at}.${key}`));
  return [];
}

/** The problems found, empty when everything is in place. */
export function findEnvironmentProblems(
  config: RotationsConfig,
  env: Record<string, string | undefined>,
  options: CheckEnvironmentOptions = {},
): ConfigIssue[] {
  const fileExists = options.fileExists ?? existsSync;
  const cwd = options.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  // Fields the policy refuses are findPolicyProblems' to report; the worker would not read them.
  const refused = new Set((options.policyProblems ?? []).map((issue) => issue.path));
  const checkVariable = (name: string, at: string, what: string) => {
    if (refused.has(at)) return;
    const value = env[name];
    if (value === undefined)
      issues.push({ path: at, message: `environment variable ${name} is not set; it must hold ${what}` });
    else if (value.trim() === '')
      issues.push({ path: at, message: `environment variable ${name} is empty; it must hold ${what}` });
  };

  config.rotations.forEach((rotation, i) => {
    const base = `rotations[${i}]`;
    const keyEnv = rotation.openrouter.managementKeyEnv;
    const keyWhat = `the OpenRouter management key of rotation "${rotation.name}"`;
    const keyFile = env[`${keyEnv}_FILE`];
    // Like the worker, accept `<NAME>_FILE`: the path of a file holding the key (Docker secrets).
    if (env[keyEnv] === undefined && keyFile) {
      const file = path.resolve(cwd, keyFile);
      if (!refused.has(`${base}.openrouter.managementKeyEnv`) && !fileExists(file)) {
        issues.push({
          path: `${base}.openrouter.managementKeyEnv`,
          message: `file ${file} (from ${keyEnv}_FILE) does not exist; it must hold ${keyWhat}`,
        });
      }
    } else
      checkVariable(
        keyEnv,
        `${base}.openrouter.managementKeyEnv`,
        `${keyWhat} (or set ${keyEnv}_FILE to a file holding it)`,
      );
    for (const { path: at, ref } of secretRefsIn(rotation.destinations, `${base}.destinations`)) {
      const what = `a credential of rotation "${rotation.name}"`;
      if (ref.env !== undefined) checkVariable(ref.env, `${at}.env`, what);
      else if (ref.file !== undefined && !refused.has(`${at}.file`)) {
        const file = path.resolve(cwd, ref.file);
        if (!fileExists(file))
          issues.push({ path: `${at}.file`, message: `file ${file} does not exist; it must hold ${what}` });
      }
    }
  });
  return issues;
}
