/**
 * The environment the demo's worker and CLI run with: the user's, minus any Temporal connection
 * settings (the demo runs its own server; a TEMPORAL_API_KEY for Temporal Cloud in the shell would
 * turn TLS on against it), plus the local server's address, the data folder's codec keyring (and,
 * for the worker, its sealing keyring) and whatever the OpenRouter side needs.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CODEC_KEYRING, generateKeyringJson, SEALING_KEYRING, type KeyringSource } from '../codec/keyring.js';
import { errnoCode } from '../errors/errno.js';

/** Variables of the Temporal CLI itself that are not connection settings. */
const KEPT_TEMPORAL_VARIABLES = new Set(['TEMPORAL_CLI_PATH']);
/** Set by the demo's own Runtime (worker-runtime.ts); runWorker would install a second one. */
const DROPPED_VARIABLES = new Set(['KEY_ROTATOR_METRICS_ADDRESS']);

export interface DemoEnvironmentOptions {
  /** The user's environment. */
  base: NodeJS.ProcessEnv;
  /** The demo server's gRPC address. */
  temporalAddress: string;
  /** Added last (codec key file, management key file …). */
  extra: Record<string, string>;
}

export function demoEnvironment(options: DemoEnvironmentOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(options.base)) {
    if (DROPPED_VARIABLES.has(name)) continue;
    if (!name.startsWith('TEMPORAL_') || KEPT_TEMPORAL_VARIABLES.has(name)) env[name] = value;
  }
  return {
    ...env,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    ...options.extra,
  };
}

/**
 * A keyring for the demo: the user's (`source.env` or `source.fileEnv`) when set, else `file` in
 * the data folder, created 0600 with a fresh key on first start. Returns the variables to add (none
 * when the user's keyring is used).
 */
async function demoKeyring(base: NodeJS.ProcessEnv, file: string, source: KeyringSource, keyId: string) {
  if (base[source.env] || base[source.fileEnv]) return {};
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, generateKeyringJson(keyId), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
  await chmod(file, 0o600);
  return { [source.fileEnv]: file };
}

/** The payload codec keyring for the demo's worker, CLI and codec server (see demoKeyring). */
export function demoCodecKey(base: NodeJS.ProcessEnv, file: string): Promise<Record<string, string>> {
  return demoKeyring(base, file, CODEC_KEYRING, 'dev');
}

/** The sealing keyring for the demo's worker alone, never its codec server (see demoKeyring). */
export function demoSealingKey(base: NodeJS.ProcessEnv, file: string): Promise<Record<string, string>> {
  return demoKeyring(base, file, SEALING_KEYRING, 'dev-sealing');
}
