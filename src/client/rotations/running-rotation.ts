/**
 * The rotation of a key that is running now, if any, and what it is doing: the workflow with the
 * key's fixed id, asked through the `status` query (answered by a worker, so bounded in time).
 */
import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import { rotationWorkflowId, statusQuery, type RotationStatus } from '../../workflow-contract/messages.js';
import { failingWorkflowTask } from './workflow-task-failure.js';

/** How long to wait for a worker to answer the status query. @default 5000 */
export const STATUS_QUERY_TIMEOUT_MS = 5_000;

export interface RunningRotation {
  workflowId: string;
  runId: string;
  startedAt: string;
  /** What the workflow reports; absent when no worker answered in time. */
  status?: RotationStatus;
  /** Why `status` is absent. */
  statusUnavailable?: string;
}

export async function findRunningRotation(
  client: Client,
  connection: Connection,
  name: string,
): Promise<RunningRotation | undefined> {
  const handle = client.workflow.getHandle(rotationWorkflowId(name));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  if (description.status.name !== 'RUNNING') return undefined;
  const running: RunningRotation = {
    workflowId: description.workflowId,
    runId: description.runId,
    startedAt: description.startTime.toISOString(),
  };
  try {
    running.status = await queryStatus(client, connection, name);
  } catch (err) {
    // A worker that fails the run's workflow task is running: name the failure, not the worker.
    const failing = await failingWorkflowTask(handle).catch(() => undefined);
    running.statusUnavailable = failing
      ? `no answer to the status query: a worker runs the rotation, but ${failing}. ` +
        'A nondeterminism error after a reset or deploy: run the worker version that started it, or terminate the run'
      : `no answer to the status query within ${STATUS_QUERY_TIMEOUT_MS / 1000}s (is \`key-rotator worker\` running?): ` +
        (err instanceof Error ? err.message : String(err));
  }
  return running;
}

/** The `status` query of the rotation workflow of `name`, bounded by {@link STATUS_QUERY_TIMEOUT_MS}. */
export async function queryStatus(
  client: Client,
  connection: Connection,
  name: string,
): Promise<RotationStatus> {
  const handle = client.workflow.getHandle(rotationWorkflowId(name));
  return connection.withDeadline(Date.now() + STATUS_QUERY_TIMEOUT_MS, () => handle.query(statusQuery));
}
