/**
 * A rotation run's identity that survives Temporal Reset. A reset gives the new run a new run id,
 * so names derived from the run id (the new key's name, which a retried create and the rollback
 * delete by) changed in the reset run's replay of the steps before the reset point, and its
 * cleanups looked for keys no one had made. The token is a uuid4() of the workflow's own seeded
 * randomness, drawn in the run's first workflow task: a replay up to a reset point draws it again
 * unchanged, and two runs of the same rotation (the same workflow id) draw different ones.
 *
 * The token also binds the run's sealed keys (sealed:v4, src/codec/secret-sealer.ts): a sealed key
 * of an earlier run of the rotation does not open in a later one.
 */
import { patched, uuid4 } from '@temporalio/workflow';
import type { RunBinding } from '../activities/activity-types.js';

/** Marks runs that draw a run token; older runs name keys after their run id and seal as v3. */
export const RUN_TOKEN_PATCH = 'run-token';

/** The run's token, or undefined in a run recorded before {@link RUN_TOKEN_PATCH}. Call once, first. */
export function drawRunToken(): string | undefined {
  return patched(RUN_TOKEN_PATCH) ? uuid4() : undefined;
}

/** The binding activities get: the token, or nothing for an older run (never an undefined field). */
export function runBinding(runToken: string | undefined): RunBinding {
  return runToken === undefined ? {} : { runToken };
}
