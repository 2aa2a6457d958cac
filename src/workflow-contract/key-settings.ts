/** Settings of the key a rotation creates that the workflow works out itself. */
import type { RotationDurations } from '../config/rotation-durations.js';
import type { RotationConfig } from '../config/schema.js';

const DAY_MS = 86_400_000;
/** Margin added to interval + grace for the `expiresAfter: auto` backstop. */
const EXPIRY_MARGIN_MS = 7 * DAY_MS;

/**
 * How much of the run's token (or, in runs started before the token, its run id) a key name
 * carries: its END. Run ids are UUIDv7 now, whose first 8 hex digits are a timestamp shared by
 * runs started within about a minute; two runs of one rotation with the same name let a retried
 * create delete the previous run's (live, stored) key as its own orphan. The last digits are
 * random (in a token all are).
 */
const RUN_PREFIX_LENGTH = 8;
const KEY_RUN_SUFFIX = / \(key-rotator ([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?) ([0-9a-zA-Z-]{8})\)$/;

/**
 * The new key's name: the configured name plus this rotation and run, so a retried create can
 * find (and delete) a key an earlier attempt of this run created but never heard back about.
 * @param run the run's token (src/workflows/run-token.ts), which a Temporal Reset keeps; the run id
 *   only for runs started before the token
 */
export function keyNameForRun(rotation: RotationConfig, run: string): string {
  return `${rotation.openrouter.key.name} (key-rotator ${rotation.name} ${run.slice(-RUN_PREFIX_LENGTH)})`;
}

/**
 * The rotation and run a key name says created it (see {@link keyNameForRun}), or undefined for
 * a name key-rotator does not give: what `sweep` recognises as ours.
 */
export function creatorOfKeyName(name: string): { rotation: string; runPrefix: string } | undefined {
  const match = KEY_RUN_SUFFIX.exec(name);
  return match ? { rotation: match[1]!, runPrefix: match[2]! } : undefined;
}

/**
 * When the new key expires at OpenRouter on its own, as a backstop should rotations stop: `auto`
 * is one interval plus the grace period plus a week. Null for `none`.
 */
export function expiryBackstop(rotation: RotationConfig, durations: RotationDurations): string | null {
  const { expiresAfter, graceMs } = durations;
  if (expiresAfter === 'none') return null;
  const afterMs =
    expiresAfter === 'auto'
      ? rotation.schedule.intervalDays * DAY_MS + graceMs + EXPIRY_MARGIN_MS
      : expiresAfter;
  // Whole seconds: OpenRouter wants ISO 8601 with seconds and no fraction.
  return new Date(Math.ceil((Date.now() + afterMs) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
