/**
 * Whether a rotation's notification sinks keep failing, from Temporal's visibility: every event is
 * delivered by its own `eventDeliveryWorkflow` (tagged with the RotationName search attribute),
 * which fails when a sink did not take the event within its retry budget.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { WORKFLOW_TYPES } from '../workflow-names.js';

export interface FailingNotifications {
  /** When the newest finished delivery failed (ISO). */
  at: string;
  /** Its workflow id: the event's id. */
  eventId: string;
  /** Which sinks did not take the event, and why (sink labels, never a URL's secret part). */
  message: string;
}

/** How many finished deliveries are looked at to find the newest. */
const RECENT = 20;

/**
 * The newest finished delivery of `name`'s events, when it failed: a sink is failing now. A newer
 * delivery that succeeded means the sinks recovered, so nothing is reported.
 */
export async function failingNotifications(
  client: Client,
  name: string,
): Promise<FailingNotifications | undefined> {
  let newest: { workflowId: string; runId: string; status: string; closedAt: Date } | undefined;
  let seen = 0;
  for await (const info of client.workflow.list({
    query: `RotationName = "${name}" AND WorkflowType = "${WORKFLOW_TYPES.eventDelivery}" AND ExecutionStatus != "Running"`,
    pageSize: RECENT,
  })) {
    const closedAt = info.closeTime ?? info.startTime;
    if (!newest || closedAt > newest.closedAt) {
      newest = { workflowId: info.workflowId, runId: info.runId, status: info.status.name, closedAt };
    }
    if (++seen >= RECENT) break;
  }
  if (!newest || newest.status !== 'FAILED') return undefined;
  let message = 'the delivery failed';
  try {
    await client.workflow.getHandle(newest.workflowId, newest.runId).result();
  } catch (err) {
    message = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err);
  }
  return { at: newest.closedAt.toISOString(), eventId: newest.workflowId, message };
}
