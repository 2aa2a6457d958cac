/**
 * After the old key is deleted, the destinations that keep versions retire the ones holding it
 * (Key Vault disables them; Secret Manager disables them, or destroys them with
 * `destroyPrevious`), so no one picks a dead key from the history. Best effort: the rotation has
 * succeeded by then, so a failure is a warning on the result, never a failed run.
 */
import { patched } from '@temporalio/workflow';
import type { RunBinding } from '../activities/activity-types.js';
import type { SealedSecret } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import type { RotationActivities } from './activity-options.js';
import { reasonOf } from './rotation-failures.js';
import type { RotationState } from './rotation-state.js';

/** Runs recorded before it end after the delete (and the release of allow-lists); they replay that way. */
export const RETIRE_PREVIOUS_PATCH = 'retire-previous-versions';

export async function retirePreviousVersions(
  rotation: RotationConfig,
  sealedOldKey: SealedSecret | undefined,
  run: RunBinding,
  activities: RotationActivities,
  state: RotationState,
): Promise<void> {
  if (!patched(RETIRE_PREVIOUS_PATCH) || !sealedOldKey) return;
  try {
    const { warnings } = await activities.destinations.retirePreviousVersions(rotation, sealedOldKey, run);
    for (const warning of warnings) state.warn(warning);
  } catch (err) {
    state.warn(
      `the old key was deleted, but the destinations' versions holding it were not retired: ${reasonOf(err)}. ` +
        'Disable them by hand (docs/operations.md)',
    );
  }
}
