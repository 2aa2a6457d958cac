/**
 * `apply`: the plan that makes Temporal's schedules match the rotations file, and carrying it out.
 * Planning only reads; every change happens in {@link executeApplyPlan}, after the whole file was
 * validated and the plan was shown.
 */
import type { Client, ScheduleSummary } from '@temporalio/client';
import { extractWorkflowType, type SearchAttributePair } from '@temporalio/common';
import type { RotationConfig, RotationsConfig } from '../../config/schema.js';
import {
  datesWithoutWallTime,
  formatLocalDate,
  localDateOf,
  parseWallTime,
} from '../../fields/zoned-time.js';
import { rotationConfigDigestKey, rotationScheduleId } from '../../workflow-contract/messages.js';
import { listRotationSchedules, readRotationSchedule } from './current-schedule.js';
import type { FieldChange } from './deep-diff.js';
import {
  appliedAttributes,
  configDigestOf,
  rotationScheduleOptions,
  workerWrittenAttributes,
  type RotationScheduleOptions,
} from './rotation-schedule.js';
import { diffSchedule, operatorPauseNote, specChanges, wantedState } from './schedule-diff.js';
import { mapConcurrently, SCHEDULE_CALL_CONCURRENCY } from './map-concurrently.js';

export type PlanAction =
  /** No schedule yet. */
  | 'create'
  /** Changed in place (the schedule keeps its history). */
  | 'update'
  /** The schedule cannot be decoded (another codec key): deleted and created again. */
  | 'replace'
  | 'unchanged'
  /** Not in the file; deleted with `--prune`. */
  | 'delete'
  /** Not in the file; kept because `--prune` was not given. */
  | 'keep-orphan';

export interface PlanEntry {
  action: PlanAction;
  name: string;
  changes: FieldChange[];
  notes: string[];
  /** For create/update/replace: the desired rotation and the schedule state to set. */
  desired?: { rotation: RotationConfig; state: { paused: boolean; note: string } };
  /** For replace: the worker-written search attributes to put on the new schedule. */
  keep?: SearchAttributePair[];
}

export interface ApplyPlanOptions {
  /** Delete schedules of rotations that are not in the file. @default false */
  prune?: boolean;
  /** Task queue of the scheduled runs. */
  taskQueue: string;
  /** @default new Date() */
  now?: Date;
}

/**
 * Temporal skips a calendar time that a daylight-saving switch jumps over: say so when rotateAt is
 * one of those (e.g. 02:30 in Europe/Berlin), since a rotation due that day then waits a day.
 * It scans a year day by day (milliseconds of CPU): callers with many rotations use
 * {@link skippedDaysNotes}, which computes it once per time and zone.
 */
export function skippedDaysNote(rotation: RotationConfig, now: Date): string | undefined {
  const { rotateAt, timezone } = rotation.schedule;
  const [first] = datesWithoutWallTime(localDateOf(now, timezone), 366, parseWallTime(rotateAt), timezone);
  if (!first) return undefined;
  return (
    `${rotateAt} does not exist in ${timezone} on ${formatLocalDate(first)} (clocks jump forward): ` +
    'no run that day, a due rotation runs the next day; pick a time outside the switch hour to avoid it'
  );
}

/** {@link skippedDaysNote}, computed once per (rotateAt, timezone) for as many rotations as asked. */
export function skippedDaysNotes(now: Date): (rotation: RotationConfig) => string | undefined {
  const notes = new Map<string, string | undefined>();
  return (rotation) => {
    const key = `${rotation.schedule.rotateAt} ${rotation.schedule.timezone}`;
    if (!notes.has(key)) notes.set(key, skippedDaysNote(rotation, now));
    return notes.get(key);
  };
}

/**
 * Whether the listing alone shows the schedule as the file wants it: the digest of what apply
 * wrote is the one it would write now, the spec and workflow were not changed by hand, and the
 * state is as wanted. Such a schedule is not described. A schedule written by an older apply has
 * no digest and is read and rewritten once.
 */
function unchangedInListing(desired: RotationScheduleOptions, listed: ScheduleSummary): boolean {
  return (
    listed.typedSearchAttributes?.get(rotationConfigDigestKey) === configDigestOf(desired) &&
    listed.action?.workflowType === extractWorkflowType(desired.action.workflowType) &&
    specChanges(desired, listed.spec).length === 0 &&
    wantedState(desired, listed.state).paused === listed.state.paused
  );
}

export async function planApply(
  client: Client,
  config: RotationsConfig,
  options: ApplyPlanOptions,
): Promise<PlanEntry[]> {
  const now = options.now ?? new Date();
  // The DST note only for what changes: unchanged schedules were told when they were applied.
  const skippedNote = skippedDaysNotes(now);
  // One listing plans every unchanged schedule; only the others are described.
  const listed = await listRotationSchedules(client);
  const entries = await mapConcurrently(
    config.rotations,
    SCHEDULE_CALL_CONCURRENCY,
    async (rotation): Promise<PlanEntry> => {
      const desired = rotationScheduleOptions(rotation, options.taskQueue);
      const summary = listed.get(rotation.name);
      if (summary && unchangedInListing(desired, summary)) {
        const { pausedByOperator, ...state } = wantedState(desired, summary.state);
        return {
          action: 'unchanged',
          name: rotation.name,
          changes: [],
          notes: pausedByOperator ? [operatorPauseNote(rotation.name, state.note)] : [],
          desired: { rotation, state },
        };
      }
      const desiredState = { paused: desired.state?.paused ?? false, note: desired.state?.note ?? '' };
      const current = await readRotationSchedule(client, rotation.name);
      if (current.state === 'missing') {
        const skipped = skippedNote(rotation);
        return {
          action: 'create',
          name: rotation.name,
          changes: [],
          notes: skipped ? [skipped] : [],
          desired: { rotation, state: desiredState },
        };
      }
      if (current.state === 'undecodable') {
        return {
          action: 'replace',
          name: rotation.name,
          changes: [],
          notes: [
            `its arguments cannot be decoded (${current.reason}); it will be deleted and created again`,
          ],
          desired: { rotation, state: desiredState },
          // Cannot be described: the listing has the worker's record of the last run.
          keep: workerWrittenAttributes(summary?.typedSearchAttributes),
        };
      }
      const diff = diffSchedule(desired, current.description);
      const withoutDigest =
        current.description.typedSearchAttributes.get(rotationConfigDigestKey) !== configDigestOf(desired);
      const changed = diff.changes.length > 0;
      const skipped = changed ? skippedNote(rotation) : undefined;
      const notes = [...diff.notes, ...(skipped ? [skipped] : [])];
      if (!changed && withoutDigest)
        notes.push(
          'written by an older apply: rewritten once with a config digest, so later applies skip it',
        );
      return {
        action: changed || withoutDigest ? 'update' : 'unchanged',
        name: rotation.name,
        changes: diff.changes,
        notes,
        desired: { rotation, state: diff.state },
      };
    },
  );
  const wanted = new Set(config.rotations.map((r) => r.name));
  for (const name of listed.keys()) {
    if (wanted.has(name)) continue;
    entries.push({ action: options.prune ? 'delete' : 'keep-orphan', name, changes: [], notes: [] });
  }
  return entries;
}

export interface ApplyProgress {
  (entry: PlanEntry): void;
}

/**
 * Carries out the plan, {@link SCHEDULE_CALL_CONCURRENCY} schedules at a time (each schedule's own
 * calls in order); `onDone` is told about each change made.
 */
export async function executeApplyPlan(
  client: Client,
  plan: PlanEntry[],
  taskQueue: string,
  onDone: ApplyProgress = () => {},
): Promise<void> {
  const changing = plan.filter((e) => e.action !== 'unchanged' && e.action !== 'keep-orphan');
  await mapConcurrently(changing, SCHEDULE_CALL_CONCURRENCY, async (entry) => {
    const handle = client.schedule.getHandle(rotationScheduleId(entry.name));
    if (entry.action === 'delete' || entry.action === 'replace') await handle.delete();
    if ((entry.action === 'create' || entry.action === 'replace') && entry.desired) {
      const options = rotationScheduleOptions(entry.desired.rotation, taskQueue, entry.desired.state);
      await client.schedule.create({
        ...options,
        typedSearchAttributes: [...appliedAttributes(options), ...(entry.keep ?? [])],
      });
    }
    if (entry.action === 'update' && entry.desired) {
      const { scheduleId: _id, ...options } = rotationScheduleOptions(
        entry.desired.rotation,
        taskQueue,
        entry.desired.state,
      );
      // An update replaces all of the schedule's search attributes: keep the worker's record of
      // the last run, as read by this very update.
      await handle.update((previous) => ({
        ...options,
        typedSearchAttributes: [
          ...appliedAttributes(options),
          ...workerWrittenAttributes(previous.typedSearchAttributes),
        ],
        state: entry.desired?.state ?? {},
      }));
    }
    onDone(entry);
  });
}
