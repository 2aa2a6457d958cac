/**
 * What the rows that run real rotations through a worker process share: the OpenRouter emulator,
 * a folder of dotenv destinations, a worker policy that allows exactly those (and the management
 * key variable), and rotations of keys "created by hand" before.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js';
import type { BenchEnv } from './bench-env.js';

/** The variable the rotations name for the management key. */
export const MANAGEMENT_KEY_ENV = 'BENCH_MANAGEMENT_KEY';

/** The dotenv line of a destination. */
export const KEY_LINE = /^OPENROUTER_API_KEY=(.*)$/m;

export interface EmulatedRotations {
  emulator: RunningEmulator;
  /** A folder of the bench's own (rotations files, the policy). */
  dir: string;
  /** Where the destinations live (the policy's only file root). */
  secretsDir: string;
  /** What a worker process needs besides Temporal: the management key and KEY_ROTATOR_POLICY. */
  workerEnv: NodeJS.ProcessEnv;
  /** A rotation (as in a rotations file) with one file destination, `secretsDir/<name>.env`. */
  rotation(name: string, gracePeriod: string): Record<string, unknown> & { name: string };
  /** The destination file of rotation `name`. */
  destination(name: string): string;
  /** Seeds a key "created by hand" 40 days ago and writes it into rotation `name`'s destination. */
  adoptKey(name: string): Promise<{ key: string; hash: string }>;
  stop(): Promise<void>;
}

export async function emulatedRotations(
  env: BenchEnv,
  prefix: string,
  emulatorOptions: EmulatorOptions = {},
): Promise<EmulatedRotations> {
  const emulator = await startEmulator(emulatorOptions);
  const dir = await mkdtemp(path.join(env.dir, `${prefix}-`));
  const secretsDir = path.join(dir, 'secrets');
  await mkdir(secretsDir);
  // Outside secretsDir, which destinations may write.
  const policyFile = path.join(dir, 'worker-policy.yaml');
  await writeFile(
    policyFile,
    stringify({
      version: 1,
      openrouter: { baseUrls: [emulator.apiBaseUrl], managementKeyEnvs: [MANAGEMENT_KEY_ENV] },
      destinations: { fileRoots: [secretsDir] },
    }),
    { mode: 0o600 },
  );
  const destination = (name: string) => path.join(secretsDir, `${name}.env`);
  return {
    emulator,
    dir,
    secretsDir,
    workerEnv: { [MANAGEMENT_KEY_ENV]: emulator.managementKey, KEY_ROTATOR_POLICY: policyFile },
    rotation: (name, gracePeriod) => ({
      name,
      openrouter: { managementKeyEnv: MANAGEMENT_KEY_ENV, baseUrl: emulator.apiBaseUrl, key: { name } },
      schedule: { intervalDays: 30 },
      gracePeriod,
      destinations: [{ type: 'file', path: destination(name) }],
    }),
    destination,
    async adoptKey(name) {
      const seeded = emulator.seedKey({ name: 'by hand', createdAt: new Date(Date.now() - 40 * 86_400_000) });
      await writeFile(destination(name), `OPENROUTER_API_KEY=${seeded.key}\n`, { mode: 0o600 });
      return seeded;
    },
    stop: () => emulator.stop(),
  };
}
