/**
 * Why a running rotation does not answer its status query although a worker is up: its workflow
 * task fails (a nondeterminism error after a reset or a deploy, input the worker refuses, a bug).
 * The worker reports each failure into the run's history; the newest one after the last completed
 * workflow task is the cause `status` names instead of blaming the worker.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { rootCause } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto, { type temporal } from '@temporalio/proto';
import { redact } from '../../errors/redact.js';

// A default import: @temporalio/proto is CommonJS, so compiled code running on Node's own ESM loader
// (dist/, the image, the installed package) has no named export `temporal` (tsx let it pass).
const { EventType, WorkflowTaskFailedCause } = proto.temporal.api.enums.v1;

/** Failures that are part of normal work: a reset itself, a completion raced by new events. */
const ROUTINE = new Set([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
]);

/**
 * The run's failing workflow task in words (its cause and message, decoded by the client's data
 * converter and redacted), or undefined when its last workflow task did not fail.
 */
export async function failingWorkflowTask(handle: WorkflowHandle): Promise<string | undefined> {
  const events = (await handle.fetchHistory()).events ?? [];
  let failed: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes | undefined;
  let failures = 0;
  for (const event of events) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      failed = undefined;
      failures = 0;
    }
    const attributes = event.workflowTaskFailedEventAttributes;
    if (attributes && !ROUTINE.has(attributes.cause ?? 0)) {
      failed = attributes;
      failures++;
    }
  }
  if (!failed) return undefined;
  const error = await decodeOptionalFailureToOptionalError(
    handle.client.options.loadedDataConverter,
    failed.failure,
  ).catch(() => undefined);
  const message = redact(
    (error && rootCause(error)) ?? error?.message ?? failed.failure?.message ?? 'no message',
  );
  const cause =
    WorkflowTaskFailedCause[failed.cause ?? 0]?.replace('WORKFLOW_TASK_FAILED_CAUSE_', '') ?? 'UNSPECIFIED';
  const pending = (await handle.describe()).raw.pendingWorkflowTask;
  const attempt = pending?.attempt ? `, attempt ${pending.attempt}` : '';
  return `its workflow task fails (${cause}${attempt}; ${failures} failure(s) in history): ${message}`;
}
