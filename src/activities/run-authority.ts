/**
 * What an activity that deletes a key checks itself, whoever scheduled it: workflow input is not
 * authenticated (a namespace writer can start any workflow, and its activities land on the
 * worker's queues), so the right to delete comes from Temporal's own activity info, the run's
 * sealed keys and what the destinations hold now, never from a field of the input alone.
 */
import { activityInfo } from '@temporalio/activity';
import type { RotationConfig } from '../config/schema.js';
import { DestinationError, PolicyViolationError } from '../errors/rotator-errors.js';
import { hashOfKey } from '../openrouter/hash.js';
import { keyNameForRun } from '../workflow-contract/key-settings.js';
import { rotationWorkflowId } from '../workflow-contract/messages.js';
import type { ActivityDependencies } from './dependencies.js';

/** The workflow types whose activities may delete keys (the function names the worker registers). */
export const ROTATION_WORKFLOW_TYPE = 'rotationWorkflow';
export const SWEEP_WORKFLOW_TYPE = 'sweepWorkflow';

/** The workflow this activity runs for, as Temporal says (not as the input says). */
function scheduler(): { workflowType: string; workflowId: string; runId: string } {
  const info = activityInfo();
  return {
    workflowType: info.workflowType ?? '',
    workflowId: info.workflowExecution?.workflowId ?? '',
    runId: info.workflowExecution?.runId ?? '',
  };
}

/**
 * Refuses an activity that deletes keys unless a rotation run of `rotation` (its own workflow id)
 * or a sweep scheduled it: a workflow of another type, or a rotation workflow under another
 * rotation's id, gets no deletes on the worker's queues. Returns the scheduler's kind.
 * @throws PolicyViolationError naming the workflow that asked
 */
export function deletingWorkflow(rotation: RotationConfig, activity: string): 'rotation' | 'sweep' {
  const { workflowType, workflowId } = scheduler();
  if (workflowType === SWEEP_WORKFLOW_TYPE) return 'sweep';
  if (workflowType === ROTATION_WORKFLOW_TYPE && workflowId === rotationWorkflowId(rotation.name))
    return 'rotation';
  throw new PolicyViolationError(
    `${activity} refused: it was scheduled by workflow ${JSON.stringify(workflowId)} of type ` +
      `${JSON.stringify(workflowType)}, and only the rotation's own workflow (${rotationWorkflowId(rotation.name)}, ` +
      `type ${ROTATION_WORKFLOW_TYPE}) or a sweep deletes keys of rotation "${rotation.name}"; nothing was deleted`,
  );
}

/**
 * The name this run gives the keys it creates: from its token, or (a run started before the run
 * token) from Temporal's run id of this very run, never from the input's say-so.
 */
export function ownKeyName(rotation: RotationConfig, runToken: string | undefined): string {
  return keyNameForRun(rotation, runToken ?? scheduler().runId);
}

/**
 * The hashes of the keys the rotation's readable destinations hold now, each with the destination
 * that holds it. Write-only destinations cannot show theirs and are not in the map.
 * @throws DestinationError (retryable) when a destination cannot be read: not knowing what a
 *   destination holds means not deleting
 */
export async function keysHeldByDestinations(
  deps: ActivityDependencies,
  rotation: RotationConfig,
): Promise<Map<string, string>> {
  const held = new Map<string, string>();
  for (const store of deps.stores(rotation)) {
    if (store.readWriteOnlyState) continue;
    let current;
    try {
      current = await store.read();
    } catch (err) {
      throw new DestinationError(
        store.description,
        'could not be read to check that it does not hold the key about to be deleted, so nothing was ' +
          `deleted: ${err instanceof Error ? err.message : String(err)}`,
        { retryable: true, cause: err },
      );
    }
    if (current) held.set(hashOfKey(current.value), store.description);
  }
  return held;
}
