/**
 * Preflight: the management key works, and the old key is known. The old key is the one the
 * destinations hold now; it is planned for deletion only once OpenRouter confirms it (hash and
 * label). Anything doubtful stops the rotation before something is created.
 */
import { patched } from '@temporalio/workflow';
import type { DestinationsSnapshot, KeyInfo, RunBinding } from '../activities/activity-types.js';
import type { SealedSecret } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import { isRotationDue } from '../config/rotation-due.js';
import { OldKeyUnconfirmedError } from '../errors/rotator-errors.js';
import type { RotationActivities } from './activity-options.js';
import { workflowFailure } from './rotation-failures.js';
import type { RotationState } from './rotation-state.js';

/** The key being replaced; both absent on a first rotation (no destination holds a key yet). */
export interface OldKey {
  oldKey?: KeyInfo;
  /** What the destinations hold now, sealed: what a rollback puts back. */
  sealedOldKey?: SealedSecret;
}

/**
 * Runs that started before this patch checked the management key with a call of its own
 * (`GET /key`) before anything else; `patched()` is false when such a history replays.
 */
export const PREFLIGHT_KEY_CHECK_BY_LOOKUP_PATCH = 'preflight-key-check-by-lookup';

/** Reads the destinations, confirms the key they hold and, with it, the management key. */
export async function preflight(
  rotation: RotationConfig,
  { openRouter, destinations }: RotationActivities,
  state: RotationState,
  run: RunBinding,
): Promise<OldKey> {
  if (!patched(PREFLIGHT_KEY_CHECK_BY_LOOKUP_PATCH)) {
    await openRouter.checkManagementKey(rotation);
    return identifyOldKey(rotation, await destinations.readDestinations(rotation, run), openRouter, state);
  }
  const old = await identifyOldKey(
    rotation,
    await destinations.readDestinations(rotation, run),
    openRouter,
    state,
  );
  // Looking the old key up (GET /keys/{hash}) needs the management key, so it proves it; a first
  // rotation has no old key to look up and checks the management key before creating one.
  if (!old.oldKey) await openRouter.checkManagementKey(rotation);
  return old;
}

/**
 * The old key is the one the destinations hold now. Destinations that disagree, or a key that
 * OpenRouter does not confirm (hash + label), stop the rotation before anything is created.
 */
async function identifyOldKey(
  rotation: RotationConfig,
  snapshot: DestinationsSnapshot,
  openRouter: RotationActivities['openRouter'],
  state: RotationState,
): Promise<OldKey> {
  // Write-only destinations hand back no value: the readable ones say which key is current.
  const readable = snapshot.readings.filter((r) => !r.writeOnly);
  const present = readable.filter((r) => r.present);
  const hashes = new Set(present.map((r) => r.hash));
  if (hashes.size > 1) {
    throw workflowFailure(
      OldKeyUnconfirmedError,
      `destinations disagree about the current key (${present.map((r) => `${r.destination} holds ${r.label}`).join(', ')}); ` +
        'make them hold the same key, then rotate',
    );
  }
  const first = present[0];
  if (!first?.hash || !snapshot.sealedCurrent) {
    state.warn('no destination holds a key yet: this first rotation only creates and stores one');
    return {};
  }
  for (const missing of readable.filter((r) => !r.present)) {
    state.warn(`${missing.destination} holds no key yet; it will receive the new one`);
  }
  const known = await openRouter.describeKey(rotation, first.hash);
  if (!known || known.label !== first.label) {
    throw workflowFailure(
      OldKeyUnconfirmedError,
      `the key in the destinations (${first.label}) is not a key of this OpenRouter account` +
        `${known ? ` (label mismatch: OpenRouter says ${known.label})` : ''}; ` +
        'nothing was created or deleted. Check the management key and workspace, or put a key of this account in the destinations',
    );
  }
  if (known.disabled)
    state.warn(`the current key ${known.label} is disabled at OpenRouter; rotating replaces it`);
  state.oldKeyConfirmed(known.label);
  return { oldKey: known, sealedOldKey: snapshot.sealedCurrent };
}

/**
 * Why a scheduled run need not rotate: the active key is younger than `intervalDays` (counted in
 * the schedule's time zone). Undefined when the rotation is due.
 */
export function notDueBecause(rotation: RotationConfig, oldKey: KeyInfo): string | undefined {
  const { intervalDays, timezone } = rotation.schedule;
  const due = isRotationDue({
    lastRotatedAt: oldKey.createdAt,
    now: new Date().toISOString(),
    intervalDays,
    timezone,
  });
  if (due) return undefined;
  return `the active key ${oldKey.label} was created ${oldKey.createdAt}, less than ${intervalDays} day(s) ago`;
}
