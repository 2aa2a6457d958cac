/**
 * The files a chaos run hands to the real binaries: the rotations file for `key-rotator apply`, the
 * worker policy (KEY_ROTATOR_POLICY: where the worker may send credentials, which variables and
 * folders it may use; see src/policy/) and the codec keyring. Secrets are never written here,
 * only the names of the variables that hold them; the keyring file is 0600.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** The environment variable the worker reads the emulator's management key from. */
export const MANAGEMENT_KEY_ENV = 'CHAOS_OPENROUTER_MANAGEMENT_KEY';

export interface ManagedKeyFile {
  name: string;
  destinations: Record<string, unknown>[];
}

export interface RotationsFileInput {
  emulatorApiBaseUrl: string;
  keys: ManagedKeyFile[];
  /** When the schedules would fire on their own: far from the run, so only triggers start them. */
  rotateAt: string;
}

/** The rotations file: one entry per managed key, short grace period, a verify window that outlasts the emulator's 401s. */
export async function writeRotationsFile(file: string, input: RotationsFileInput): Promise<void> {
  const config = {
    version: 1,
    rotations: input.keys.map((key) => ({
      name: key.name,
      description: 'chaos run',
      openrouter: {
        managementKeyEnv: MANAGEMENT_KEY_ENV,
        baseUrl: input.emulatorApiBaseUrl,
        key: { name: key.name },
      },
      schedule: { intervalDays: 1, rotateAt: input.rotateAt, timezone: 'UTC' },
      gracePeriod: '2s',
      verify: { newKeyWindow: '30s' },
      destinations: key.destinations,
    })),
  };
  await writeFile(file, stringify(config), { mode: 0o600 });
}

export interface WorkerPolicyInput {
  emulatorApiBaseUrl: string;
  credentialEnvs: string[];
  fileRoot: string;
  vaultAddress: string | undefined;
  awsEndpoint: string | undefined;
}

/** A worker policy that allows exactly what the run uses (the format of src/policy/). */
export async function writeWorkerPolicy(file: string, input: WorkerPolicyInput): Promise<void> {
  const policy = {
    version: 1,
    openrouter: { baseUrls: [input.emulatorApiBaseUrl], managementKeyEnvs: [MANAGEMENT_KEY_ENV] },
    credentials: { envs: input.credentialEnvs, fileRoots: [] },
    destinations: {
      fileRoots: [input.fileRoot],
      vaultAddresses: input.vaultAddress ? [input.vaultAddress] : [],
      infisicalSiteUrls: [],
      awsEndpoints: input.awsEndpoint ? [input.awsEndpoint] : [],
    },
  };
  await writeFile(file, stringify(policy), { mode: 0o600 });
}

/** A fresh keyring (one AES-256 key, id `id`) in `file`, 0600: the codec's, or the worker's sealing one. */
export async function writeCodecKeyring(file: string, id = 'chaos'): Promise<string> {
  const json = JSON.stringify({ active: id, keys: { [id]: randomBytes(32).toString('base64') } });
  await writeFile(file, json, { mode: 0o600 });
  return json;
}
