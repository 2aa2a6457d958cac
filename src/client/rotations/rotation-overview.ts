/**
 * What `list` and `status` show about one rotation: its applied configuration (the schedule's
 * snapshot), whether auto-rotation is paused, when it will next rotate, how the last run ended and
 * which key label is active. Labels only, never keys.
 */
import type { Client, ScheduleSummary } from '@temporalio/client';
import { nextRotationTime } from '../../config/rotation-due.js';
import {
  rotationEnabledKey,
  rotationIntervalDaysKey,
  rotationLastRotatedAtKey,
  rotationNameKey,
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationReasonKey,
  rotationWorkflowId,
  type RotationResult,
} from '../../workflow-contract/messages.js';
import { WORKFLOW_TYPES } from '../workflow-names.js';
import { DISABLED_IN_CONFIG_NOTE } from '../schedules/rotation-schedule.js';
import {
  listRotationSchedules,
  readRotationSchedule,
  type CurrentSchedule,
} from '../schedules/current-schedule.js';
import { listRotationRuns, rotationResultOf, toRotationRun, type RotationRun } from './rotation-runs.js';

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

/**
 * A run as `list` shows it: a running one in full (from visibility); a finished one as the worker
 * recorded it on the schedule, which has no run id and no start or end time.
 */
export type ListedRun = Omit<RotationRun, 'runId' | 'startedAt'> &
  Partial<Pick<RotationRun, 'runId' | 'startedAt'>>;

/** One line of `list`: a {@link RotationOverview} read from the schedule listing alone. */
export type ListedRotation = Omit<RotationOverview, 'lastRun'> & { lastRun: ListedRun | null };

/** Temporal's execution status of a finished run, by the outcome the worker recorded. */
const RECORDED_STATUS: Record<string, string> = {
  succeeded: 'COMPLETED',
  skipped: 'COMPLETED',
  failed: 'FAILED',
  'rolled-back': 'FAILED',
};

/** The running rotations, by rotation name: one visibility query for all of them. */
async function runningRotations(client: Client): Promise<Map<string, RotationRun>> {
  const running = new Map<string, RotationRun>();
  for await (const info of client.workflow.list({
    query: `WorkflowType = "${WORKFLOW_TYPES.rotation}" AND ExecutionStatus = "Running"`,
    pageSize: 1000,
  })) {
    const name = info.typedSearchAttributes.get(rotationNameKey);
    if (name) running.set(name, toRotationRun(info));
  }
  return running;
}

function wallTimeOf(spec: ScheduleSummary['spec']): string | null {
  const calendar = spec?.calendars?.length === 1 ? spec.calendars[0] : undefined;
  const hour = calendar?.hour?.[0]?.start;
  const minute = calendar?.minute?.[0]?.start;
  if (typeof hour !== 'number' || typeof minute !== 'number') return null;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** What `list` shows of one rotation, from its schedule's listing entry and its running run. */
export function listedRotation(
  name: string,
  listed: ScheduleSummary,
  running: RotationRun | undefined,
  now: Date,
): ListedRotation {
  const attributes = listed.typedSearchAttributes;
  const intervalText = attributes?.get(rotationIntervalDaysKey);
  const intervalDays = intervalText && /^\d+$/.test(intervalText) ? Number(intervalText) : null;
  const enabledText = attributes?.get(rotationEnabledKey);
  const rotateAt = wallTimeOf(listed.spec);
  const timezone = listed.spec?.timezone ?? 'UTC';
  const lastRotatedAt = attributes?.get(rotationLastRotatedAtKey) ?? null;
  const activeKeyLabel = attributes?.get(rotationNewKeyLabelKey) ?? null;
  const outcome = attributes?.get(rotationOutcomeKey);
  const reason = attributes?.get(rotationReasonKey);
  const lastRun: ListedRun | null =
    running ??
    (outcome
      ? {
          workflowId: rotationWorkflowId(name),
          status: RECORDED_STATUS[outcome] ?? outcome.toUpperCase(),
          outcome,
          ...(reason ? { reason } : {}),
          ...(outcome === 'succeeded' && activeKeyLabel ? { newKeyLabel: activeKeyLabel } : {}),
        }
      : null);
  const paused = listed.state.paused;
  return {
    name,
    // Not on the schedule's listing (free text stays in the encrypted config): `status` shows it.
    description: null,
    intervalDays,
    rotateAt,
    timezone,
    // A schedule written by an older apply has no RotationEnabled: its note still tells a disabled one.
    enabled:
      enabledText !== undefined
        ? enabledText === 'true'
        : paused && listed.state.note === DISABLED_IN_CONFIG_NOTE
          ? false
          : null,
    schedule: {
      id: listed.scheduleId,
      paused,
      note: listed.state.note || null,
      nextWakeAt: listed.info.nextActionTimes[0]?.toISOString() ?? null,
    },
    nextRotationAt:
      !paused && intervalDays !== null && rotateAt
        ? nextRotationTime({
            lastRotatedAt: lastRotatedAt ?? undefined,
            now,
            intervalDays,
            timezone,
            rotateAt,
          }).toISOString()
        : null,
    lastRotatedAt,
    activeKeyLabel,
    lastRun,
    warnings: [],
  };
}

/**
 * Every rotation that has a schedule, as `list` shows it: one paginated schedule listing and one
 * visibility query for the running rotations, whatever the number of rotations.
 */
export async function listRotationOverviews(client: Client, now: Date): Promise<ListedRotation[]> {
  const [schedules, running] = await Promise.all([listRotationSchedules(client), runningRotations(client)]);
  return [...schedules].map(([name, listed]) => listedRotation(name, listed, running.get(name), now));
}
