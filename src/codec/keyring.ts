/**
 * The codec keyring: AES-256 keys by id, one of them active for encryption, all of them usable for
 * decryption (so the codec key can be rotated without losing old histories).
 *
 * Sources, first match wins:
 * - `KEY_ROTATOR_CODEC_KEY`: the keyring JSON, or a single base64 32-byte key;
 * - `KEY_ROTATOR_CODEC_KEY_FILE`: path of a file holding the same;
 * - the local dev keyring `.data/codec-keyring.json` when it exists (made by `npm start`), or,
 *   with `allowDevKey` only, generated there 0600 on first use. Without any of these, callers
 *   refuse to start: nothing goes to Temporal unencrypted.
 *
 * Keyring JSON: `{"active": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "<base64 32 bytes>"}}`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { readEnvOrFile } from '../fields/env-or-file.js';
import { errnoCode } from '../errors/errno.js';
import { ConfigError } from '../errors/rotator-errors.js';

export interface Keyring {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export const CODEC_KEY_ENV = 'KEY_ROTATOR_CODEC_KEY';
export const CODEC_KEY_FILE_ENV = 'KEY_ROTATOR_CODEC_KEY_FILE';
/** Where the local demo keeps its generated dev keyring. @default ".data/codec-keyring.json" */
export const DEV_KEYRING_PATH = '.data/codec-keyring.json';

const base64Key = z
  .string()
  .refine((s) => Buffer.from(s, 'base64').length === 32, 'each key must be 32 bytes, base64-encoded');
const keyringJson = z
  .object({
    active: z.string().min(1).max(64),
    keys: z.record(z.string().min(1).max(64), base64Key),
  })
  .strict()
  .refine((k) => k.active in k.keys, 'active must name one of keys');

/** Parses keyring text (JSON keyring or one bare base64 key); `source` names where it came from. */
export function parseKeyring(text: string, source: string): Keyring {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    const key = Buffer.from(trimmed, 'base64');
    if (key.length !== 32) {
      throw new ConfigError(`${source}: expected a base64-encoded 32-byte key or a keyring JSON object`);
    }
    // A bare key gets a stable id derived from it, so payloads say which key they need.
    const id = createHash('sha256').update(key).digest('hex').slice(0, 12);
    return { activeKeyId: id, keys: new Map([[id, key]]) };
  }
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    throw new ConfigError(`${source}: not valid JSON`);
  }
  const parsed = keyringJson.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${source}: ${issue?.path.join('.') || 'keyring'}: ${issue?.message ?? 'invalid'}`);
  }
  return {
    activeKeyId: parsed.data.active,
    keys: new Map(Object.entries(parsed.data.keys).map(([id, b64]) => [id, Buffer.from(b64, 'base64')])),
  };
}

export interface LoadKeyringOptions {
  env?: NodeJS.ProcessEnv;
  /** Generate and use a local dev keyring when none is configured (demo, tests). @default false */
  allowDevKey?: boolean;
  /** Base folder for the dev keyring. @default process.cwd() */
  cwd?: string;
}

export async function loadKeyring(options: LoadKeyringOptions = {}): Promise<Keyring> {
  const env = options.env ?? process.env;
  const configured = readEnvOrFile(CODEC_KEY_ENV, env, 'the payload codec keyring');
  if (configured) return parseKeyring(configured.value, configured.source);
  // An empty keyring file is a broken mount, not "no key configured": never fall back to a dev key.
  const file = env[CODEC_KEY_FILE_ENV]?.trim();
  if (file) throw new ConfigError(`${CODEC_KEY_FILE_ENV}=${file}: the file is empty; put the keyring in it`);
  const devPath = resolve(options.cwd ?? process.cwd(), DEV_KEYRING_PATH);
  if (!options.allowDevKey) {
    try {
      return parseKeyring(await readFile(devPath, 'utf8'), devPath);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    throw new ConfigError(
      `no payload codec key: set ${CODEC_KEY_ENV} or ${CODEC_KEY_FILE_ENV} (see docs/operations.md); ` +
        'refusing to send rotation data to Temporal unencrypted',
    );
  }
  return loadOrCreateDevKeyring(devPath);
}

/** A fresh keyring JSON with one random key (what `npm start` and docs/operations.md use). */
export function generateKeyringJson(
  keyId = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`,
): string {
  return `${JSON.stringify({ active: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } }, null, 2)}\n`;
}

async function loadOrCreateDevKeyring(path: string): Promise<Keyring> {
  try {
    return parseKeyring(await readFile(path, 'utf8'), path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, generateKeyringJson('dev'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs.
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
  await chmod(path, 0o600);
  return parseKeyring(await readFile(path, 'utf8'), path);
}
