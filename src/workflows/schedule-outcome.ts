/**
 * At the end of every rotation run (succeeded, skipped, failed, rolled back), the worker writes how
 * it ended onto the rotation's schedule, where `key-rotator list` reads it without a query per
 * rotation. Best effort: a failed write is logged and never fails the rotation.
 */
import { log, patched, proxyActivities } from '@temporalio/workflow';
import type { RecordedRotationOutcome, ScheduleActivities } from '../activities/schedule-activities.js';
import type { RotationOutcome, RotationReason, RotationResult } from '../workflow-contract/messages.js';

/** Runs recorded before this write have no such activity: they replay without it. */
export const RECORD_OUTCOME_PATCH = 'record-outcome-on-schedule';

const { recordRotationOutcome } = proxyActivities<ScheduleActivities>({
  startToCloseTimeout: '30 seconds',
  // Bounded: the record is a convenience, the run's own history stays the truth.
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/** The record of a run: the new active key only when this run made one. */
export function recordedOutcome(
  rotation: string,
  outcome: RotationOutcome,
  reason: RotationReason,
  result: RotationResult | undefined,
): RecordedRotationOutcome {
  return {
    rotation,
    outcome,
    reason,
    ...(result?.outcome === 'succeeded' && result.newKey ? { activeKeyLabel: result.newKey.label } : {}),
    ...(result?.lastRotatedAt ? { lastRotatedAt: result.lastRotatedAt } : {}),
  };
}

export async function recordOutcomeOnSchedule(record: RecordedRotationOutcome): Promise<void> {
  if (!patched(RECORD_OUTCOME_PATCH)) return;
  try {
    await recordRotationOutcome(record);
  } catch (err) {
    log.warn(
      'could not record the outcome on the rotation schedule; `key-rotator list` shows the previous one',
      {
        rotation: record.rotation,
        error: err instanceof Error ? err.message : String(err),
      },
    );
  }
}
