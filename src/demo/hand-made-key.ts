/**
 * The demo's starting point, made once: a key "created by hand" 30 days ago at the emulator, as a
 * user would in OpenRouter's web UI, and written into the app's file. The first rotation finds it
 * there, confirms it at OpenRouter by hash and label, and replaces it.
 */
import type { FileDestinationConfig } from '../stores/file/schema.js';
import type { RunningEmulator } from '../emulator/server.js';
import { labelOfKey } from '../errors/redact.js';
import { FileSecretStore } from '../stores/file/index.js';

const DAY_MS = 86_400_000;
/** How old the hand-made key is: old enough that the rotation is due at once. @default 30 */
export const HAND_MADE_KEY_AGE_DAYS = 30;

/**
 * Seeds the key when the file holds none; returns its label, or undefined when the file already
 * holds a key (a later start: nothing is seeded again).
 */
export async function seedHandMadeKey(
  emulator: RunningEmulator,
  destination: FileDestinationConfig,
  cwd: string,
): Promise<string | undefined> {
  const store = new FileSecretStore(destination, { cwd });
  if (await store.read()) return undefined;
  const { key } = emulator.seedKey({
    name: 'demo-app (created by hand)',
    createdAt: new Date(Date.now() - HAND_MADE_KEY_AGE_DAYS * DAY_MS),
  });
  await store.write(key, { idempotencyToken: 'npm-start-seeds-the-hand-made-demo-key' });
  return labelOfKey(key);
}
