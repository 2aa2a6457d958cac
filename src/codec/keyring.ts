/**
 * Keyrings: AES-256 keys by id, one of them active for encryption, all of them usable for
 * decryption (so a key can be rotated without losing what the older ones encrypted). There are
 * two, never sharing a key:
 *
 * - the **payload codec keyring** (`KEY_ROTATOR_CODEC_KEY`): every process that reads or writes
 *   Temporal payloads holds it — worker, CLI, codec server;
 * - the **sealing keyring** (`KEY_ROTATOR_SEALING_KEY`): the worker alone holds it; it seals the API
 *   keys that pass between activities (secret-sealer.ts), so whoever can decode payloads — the
 *   codec server's host, the Web UI — still cannot open one.
 *
 * Sources of each, first match wins:
 * - `NAME`: the keyring JSON, or a single base64 32-byte key;
 * - `NAME_FILE`: path of a file holding the same;
 * - the local dev keyring in `.data/` when it exists (made by `npm start`), or, with `allowDevKey`
 *   only, generated there 0600 on first use. Without any of these, callers refuse to start.
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

/** Where a keyring is configured, and what it is for (in messages). */
export interface KeyringSource {
  /** The variable holding the keyring; `${env}_FILE` names a file holding it. */
  env: string;
  fileEnv: string;
  /** The local dev keyring, relative to the working folder (`npm start` makes it). */
  devPath: string;
  /** What it is, for messages: "payload codec keyring". */
  name: string;
  /** Why a process refuses to start without it. */
  neededFor: string;
}

export const CODEC_KEY_ENV = 'KEY_ROTATOR_CODEC_KEY';
export const CODEC_KEY_FILE_ENV = 'KEY_ROTATOR_CODEC_KEY_FILE';
/** Where the local demo keeps its generated dev keyring. @default ".data/codec-keyring.json" */
export const DEV_KEYRING_PATH = '.data/codec-keyring.json';

export const CODEC_KEYRING: KeyringSource = {
  env: CODEC_KEY_ENV,
  fileEnv: CODEC_KEY_FILE_ENV,
  devPath: DEV_KEYRING_PATH,
  name: 'payload codec keyring',
  neededFor: 'refusing to send rotation data to Temporal unencrypted',
};

export const SEALING_KEY_ENV = 'KEY_ROTATOR_SEALING_KEY';
export const SEALING_KEY_FILE_ENV = 'KEY_ROTATOR_SEALING_KEY_FILE';

export const SEALING_KEYRING: KeyringSource = {
  env: SEALING_KEY_ENV,
  fileEnv: SEALING_KEY_FILE_ENV,
  devPath: '.data/sealing-keyring.json',
  name: 'sealing keyring',
  neededFor:
    'the worker seals the API keys it passes between steps with it, apart from the payload codec keyring',
};

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
  /** Which keyring. @default CODEC_KEYRING */
  source?: KeyringSource;
  env?: NodeJS.ProcessEnv;
  /** Generate and use a local dev keyring when none is configured (demo, tests). @default false */
  allowDevKey?: boolean;
  /** Base folder for the dev keyring. @default process.cwd() */
  cwd?: string;
}

export async function loadKeyring(options: LoadKeyringOptions = {}): Promise<Keyring> {
  const env = options.env ?? process.env;
  const source = options.source ?? CODEC_KEYRING;
  const configured = readEnvOrFile(source.env, env, `the ${source.name}`);
  if (configured) return parseKeyring(configured.value, configured.source);
  // An empty keyring file is a broken mount, not "no key configured": never fall back to a dev key.
  const file = env[source.fileEnv]?.trim();
  if (file) throw new ConfigError(`${source.fileEnv}=${file}: the file is empty; put the keyring in it`);
  const devPath = resolve(options.cwd ?? process.cwd(), source.devPath);
  if (!options.allowDevKey) {
    try {
      return parseKeyring(await readFile(devPath, 'utf8'), devPath);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    throw new ConfigError(
      `no ${source.name}: set ${source.env} or ${source.fileEnv} (see docs/operations.md); ${source.neededFor}`,
    );
  }
  return loadOrCreateDevKeyring(devPath);
}

/**
 * Refuses a sealing keyring that shares a key with the payload codec keyring: whoever holds the
 * codec keyring (the codec server's host) could then open sealed API keys.
 */
export function assertSeparateKeyrings(codec: Keyring, sealing: Keyring): void {
  for (const [sealingId, sealingKey] of sealing.keys) {
    for (const [codecId, codecKey] of codec.keys) {
      if (sealingKey.equals(codecKey)) {
        throw new ConfigError(
          `${SEALING_KEY_ENV}: sealing key "${sealingId}" is also payload codec key "${codecId}"; ` +
            'the sealing keyring must be its own (generate one: see docs/operations.md), or whoever can ' +
            'decode payloads could open the sealed API keys',
        );
      }
    }
  }
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
