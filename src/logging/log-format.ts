/**
 * How log lines look, decided once for every process (worker, CLI, codec server):
 * `KEY_ROTATOR_LOG_FORMAT=text`, the default, prints lines as they always were; `json` prints one
 * JSON object per line (src/logging/log-record.ts says which fields).
 */
import { ConfigError } from '../errors/rotator-errors.js';

export const LOG_FORMAT_ENV = 'KEY_ROTATOR_LOG_FORMAT';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The log format `env` asks for.
 * @throws ConfigError naming the variable and the values it takes, for any other value
 */
export function logFormatFrom(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const raw = env[LOG_FORMAT_ENV];
  if (raw === undefined || raw.trim() === '') return 'text';
  const value = raw.trim().toLowerCase();
  const known = LOG_FORMATS.find((format) => format === value);
  if (known) return known;
  throw new ConfigError(`${LOG_FORMAT_ENV}=${raw}: expected ${LOG_FORMATS.join(' or ')} (default text)`);
}
