/**
 * Past and present rotations of a key, from Temporal's visibility: every `rotationWorkflow`
 * execution carries the RotationName search attribute, and upserts its step, outcome and the new
 * key's label (labels only, never keys).
 */
import { WorkflowFailedError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import {
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationReasonKey,
  rotationStepKey,
  type RotationResult,
} from '../../workflow-contract/messages.js';
import { WORKFLOW_TYPES } from '../workflow-names.js';

/** One execution of `rotationWorkflow`. */
export interface RotationRun {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, … */
  status: string;
  /** succeeded, skipped, rolled-back, failed, running, or terminated/timed-out/canceled. */
  outcome: string;
  /** scheduled or manual. */
  reason?: string;
  /** The last step it reached. */
  step?: string;
  newKeyLabel?: string;
  startedAt: string;
  endedAt?: string;
}

/** The visibility query for the rotations of `name` (a slug, so no quoting issues). */
export function rotationRunsQuery(name: string, extra = ''): string {
  return `RotationName = "${name}" AND WorkflowType = "${WORKFLOW_TYPES.rotation}"${extra ? ` AND ${extra}` : ''}`;
}

const STATUS_OUTCOME: Record<string, string> = {
  RUNNING: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
  CANCELLED: 'canceled',
  CONTINUED_AS_NEW: 'continued',
};

export function toRotationRun(info: WorkflowExecutionInfo): RotationRun {
  const attributes = info.typedSearchAttributes;
  const status = info.status.name;
  const recorded = attributes.get(rotationOutcomeKey);
  // A terminated or timed-out run never recorded its end: its last recorded outcome says "running".
  const outcome =
    recorded && !(recorded === 'running' && status !== 'RUNNING')
      ? recorded
      : (STATUS_OUTCOME[status] ?? status.toLowerCase());
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    status,
    outcome,
    reason: attributes.get(rotationReasonKey),
    step: attributes.get(rotationStepKey),
    newKeyLabel: attributes.get(rotationNewKeyLabelKey),
    startedAt: info.startTime.toISOString(),
    endedAt: info.closeTime?.toISOString(),
  };
}

export interface ListRunsOptions {
  /** At most this many, newest first. @default 20 */
  limit?: number;
  /** More visibility conditions, ANDed. */
  where?: string;
}

export async function listRotationRuns(
  client: Client,
  name: string,
  options: ListRunsOptions = {},
): Promise<RotationRun[]> {
  const limit = options.limit ?? 20;
  const runs: RotationRun[] = [];
  if (limit <= 0) return runs;
  for await (const info of client.workflow.list({
    query: rotationRunsQuery(name, options.where),
    pageSize: Math.min(limit, 100),
  })) {
    runs.push(toRotationRun(info));
    if (runs.length >= limit) break;
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** The result of a completed run (decoded through the codec), or undefined if it has none. */
export async function rotationResultOf(
  client: Client,
  run: RotationRun,
): Promise<RotationResult | undefined> {
  if (run.status !== 'COMPLETED') return undefined;
  return (await client.workflow.getHandle(run.workflowId, run.runId).result()) as RotationResult;
}

/** Why a failed run failed: the workflow's failure message (already redacted by the workflow). */
export async function failureMessageOf(client: Client, run: RotationRun): Promise<string | undefined> {
  if (run.status === 'COMPLETED' || run.status === 'RUNNING') return undefined;
  try {
    await client.workflow.getHandle(run.workflowId, run.runId).result();
    return undefined;
  } catch (err) {
    if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
    return err instanceof Error ? err.message : String(err);
  }
}
