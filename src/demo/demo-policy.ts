/**
 * The local stack's worker policy, written to `<data>/worker-policy.yaml` (0600) at every start:
 * the worker may send its management key only to this run's OpenRouter (the emulator's loopback
 * URL, or openrouter.ai), read it only from the demo's variable, and write files only in the
 * data folder's `secrets/` (not the folder itself, which holds the codec keyring, the emulator's
 * management key and this policy).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { workerPolicySchema } from '../policy/worker-policy-schema.js';

export interface DemoPolicyOptions {
  /** Where to write the policy. */
  file: string;
  /** The OpenRouter API base URL of this run. */
  apiBaseUrl: string;
  /** The variable that holds the management key (or names its file, with `_FILE`). */
  managementKeyEnv: string;
  /** The one folder file destinations may write to. */
  fileRoot: string;
}

/** Writes the policy and returns its path, for KEY_ROTATOR_POLICY. */
export async function writeDemoPolicy(options: DemoPolicyOptions): Promise<string> {
  const rules: z.input<typeof workerPolicySchema> = {
    // Version 2: no secret in any store beyond the file roots, as the demo uses none.
    version: 2,
    openrouter: { baseUrls: [options.apiBaseUrl], managementKeyEnvs: [options.managementKeyEnv] },
    destinations: { fileRoots: [options.fileRoot] },
  };
  const text =
    '# The worker policy of `npm start`, written at every start (edits are overwritten): what the\n' +
    "# rotations may do with the worker's credentials. See deploy/worker-policy.example.yaml.\n" +
    stringify(rules);
  await mkdir(path.dirname(options.file), { recursive: true, mode: 0o700 });
  await writeFile(options.file, text, { mode: 0o600 });
  // writeFile keeps the mode of a file that already exists.
  await chmod(options.file, 0o600);
  return options.file;
}
