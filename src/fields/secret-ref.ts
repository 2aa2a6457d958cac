/**
 * Resolves a credential reference (`{env: NAME}` or `{file: PATH}`) to its value at the moment it
 * is needed, so that rotated token files are picked up and config files never hold secrets.
 * Every resolved value is registered for redaction.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors/errno.js';
import { ConfigError, PolicyViolationError } from '../errors/rotator-errors.js';
import { registerSecret } from '../errors/redact.js';
import type { SecretRef } from './field-schemas.js';

export interface SecretRefDeps {
  /** Environment to read `env` references from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Folder that relative `file` references resolve from. @default process.cwd() */
  cwd?: string;
  /**
   * Refuses a reference the worker policy does not allow, before anything is read: returns why,
   * or undefined to allow it (`file` already resolved to an absolute path). @default allows all
   */
  refuse?: (ref: SecretRef) => string | undefined;
}

/**
 * Returns the value behind `ref` (a file's trailing newline removed).
 * @param what what the value is for, used in error messages, e.g. "the Vault token of vault:secret/apps/x#KEY".
 * @throws ConfigError naming the variable or file and `what` when it is missing, empty or unreadable.
 * @throws PolicyViolationError when `deps.refuse` refuses the reference (nothing is read then).
 */
export function resolveSecretRef(ref: SecretRef, what: string, deps: SecretRefDeps = {}): string {
  const resolved = ref.file === undefined ? ref : { file: path.resolve(deps.cwd ?? process.cwd(), ref.file) };
  const refused = deps.refuse?.(resolved);
  if (refused !== undefined) throw new PolicyViolationError(`${what}: ${refused}`);
  let value: string;
  if (ref.env !== undefined) {
    const raw = (deps.env ?? process.env)[ref.env];
    if (raw === undefined) {
      throw new ConfigError(`environment variable ${ref.env} is not set; it must hold ${what}`);
    }
    value = raw;
    if (value.trim() === '')
      throw new ConfigError(`environment variable ${ref.env} is empty; it must hold ${what}`);
  } else if (ref.file !== undefined) {
    const file = path.resolve(deps.cwd ?? process.cwd(), ref.file);
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const code = errnoCode(err) ?? 'error';
      const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
      throw new ConfigError(`file ${file} ${reason}; it must hold ${what}`);
    }
    if (value.trim() === '') throw new ConfigError(`file ${file} is empty; it must hold ${what}`);
  } else {
    throw new ConfigError(`no env or file given for ${what}`);
  }
  registerSecret(value);
  return value;
}
