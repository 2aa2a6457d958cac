/**
 * A secret the processes take from their own environment — a management key, the codec keyring,
 * the codec server's token — read from `NAME`, or from the file `NAME_FILE` names (Docker and
 * Kubernetes secrets). One rule for all of them, so they cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { errnoCode } from '../errors/errno.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { registerSecret } from '../errors/redact.js';

export interface EnvOrFileValue {
  /** The value, trimmed; registered for redaction. */
  value: string;
  /** Where it came from, for messages: `NAME`, or `NAME_FILE=<path>`. Never the value. */
  source: string;
}

/**
 * The value of `name` in `env`, else the content of the file `env[name + "_FILE"]` names.
 *
 * - The variable wins over the file; both are trimmed, and an empty one counts as not set.
 * - A file that cannot be read is a ConfigError naming the variable and the file (never a value).
 * - Every value found is registered for redaction (src/errors/redact.ts) before it is returned.
 *
 * @param what what the value is, for the error message, e.g. "the payload codec keyring".
 * @returns undefined when neither is set (or both are empty): the caller says what is missing.
 * @throws ConfigError when `NAME_FILE` names a file that cannot be read.
 */
export function readEnvOrFile(
  name: string,
  env: Record<string, string | undefined>,
  what: string,
): EnvOrFileValue | undefined {
  const inline = env[name]?.trim();
  if (inline) return found(inline, name);
  const fileVariable = `${name}_FILE`;
  const file = env[fileVariable]?.trim();
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    const reason = code === 'ENOENT' ? 'it does not exist' : `cannot read it (${code ?? String(err)})`;
    throw new ConfigError(
      `${fileVariable}=${file}: ${reason}; it must hold ${what} (or set ${name} instead)`,
    );
  }
  const value = text.trim();
  return value ? found(value, `${fileVariable}=${file}`) : undefined;
}

function found(value: string, source: string): EnvOrFileValue {
  registerSecret(value);
  return { value, source };
}
