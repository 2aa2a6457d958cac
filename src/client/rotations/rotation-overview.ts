/**
 * What `list` and `status` show about one rotation: its applied configuration (the schedule's
 * snapshot), whether auto-rotation is paused, when it will next rotate, how the last run ended and
 * which key label is active. Labels only, never keys.
 */
import type { Client } from '@temporalio/client';
import { nextRotationTime } from '../../config/rotation-due.js';
import type { RotationResult } from '../../workflows/messages.js';
import { readRotationSchedule, type CurrentSchedule } from '../schedules/current-schedule.js';
import { listRotationRuns, rotationResultOf, type RotationRun } from './rotation-runs.js';

export interface RotationOverview {
  name: string;
  description: string | null;
  intervalDays: number | null;
  rotateAt: string | null;
  timezone: string | null;
  /** `schedule.enabled` in the applied configuration. */
  enabled: boolean | null;
  schedule: {
    id: string;
    paused: boolean;
    note: string | null;
    /** The schedule's next daily check (it rotates only when due). */
    nextWakeAt: string | null;
  } | null;
  /** The next time the schedule will find the rotation due; null when paused or unscheduled. */
  nextRotationAt: string | null;
  /** When the active key was created, as the last completed rotation saw it. */
  lastRotatedAt: string | null;
  /** Label of the key the last successful rotation created. */
  activeKeyLabel: string | null;
  lastRun: RotationRun | null;
  /** Parts that could not be read. */
  warnings: string[];
}

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export async function rotationOverview(
  client: Client,
  name: string,
  now: Date,
  known?: CurrentSchedule,
): Promise<RotationOverview> {
  // Independent reads: made at once, so a rotation costs one round trip rather than four.
  const [schedule, [lastRun], [lastCompleted], [lastSucceeded]] = await Promise.all([
    known ?? readRotationSchedule(client, name),
    listRotationRuns(client, name, { limit: 1 }),
    listRotationRuns(client, name, { limit: 1, where: 'ExecutionStatus = "Completed"' }),
    listRotationRuns(client, name, { limit: 1, where: 'RotationOutcome = "succeeded"' }),
  ]);
  const rotation = schedule.state === 'found' ? schedule.rotation : undefined;

  const warnings: string[] = [];
  // One unreadable result (e.g. encrypted with a codec key we lack) must not hide the rest.
  const resultOf = async (run: RotationRun | undefined): Promise<RotationResult | undefined> => {
    if (!run) return undefined;
    try {
      return await rotationResultOf(client, run);
    } catch (err) {
      warnings.push(
        `cannot read the result of run ${run.runId}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return undefined;
    }
  };
  if (schedule.state === 'undecodable')
    warnings.push(`cannot read the schedule's configuration: ${schedule.reason}`);
  const completedResult = await resultOf(lastCompleted);
  const succeededResult =
    lastSucceeded?.runId === lastCompleted?.runId ? completedResult : await resultOf(lastSucceeded);
  const lastRotatedAt = laterOf(completedResult?.lastRotatedAt, succeededResult?.newKey?.createdAt);

  const description = schedule.state === 'found' ? schedule.description : undefined;
  const paused = description?.state.paused ?? false;
  const nextRotationAt =
    rotation && description && !paused
      ? nextRotationTime({
          lastRotatedAt,
          now,
          intervalDays: rotation.schedule.intervalDays,
          timezone: rotation.schedule.timezone,
          rotateAt: rotation.schedule.rotateAt,
        }).toISOString()
      : null;

  return {
    name,
    description: rotation?.description ?? null,
    intervalDays: rotation?.schedule.intervalDays ?? null,
    rotateAt: rotation?.schedule.rotateAt ?? null,
    timezone: rotation?.schedule.timezone ?? null,
    enabled: rotation?.schedule.enabled ?? null,
    schedule: description
      ? {
          id: description.scheduleId,
          paused,
          note: description.state.note || null,
          nextWakeAt: description.info.nextActionTimes[0]?.toISOString() ?? null,
        }
      : null,
    nextRotationAt,
    lastRotatedAt: lastRotatedAt ?? null,
    activeKeyLabel: lastSucceeded?.newKeyLabel ?? succeededResult?.newKey?.label ?? null,
    lastRun: lastRun ?? null,
    warnings,
  };
}
