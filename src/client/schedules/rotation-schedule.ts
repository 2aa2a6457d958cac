/**
 * The Temporal Schedule of one rotation, as the configuration wants it: a daily wake-up at
 * `rotateAt` in the rotation's time zone (Temporal evaluates calendar specs in that zone, so it
 * stays at local time across daylight-saving changes), starting `scheduledRotationWorkflow`, which
 * rotates only when `intervalDays` have passed. No memo, and no secret anywhere: the config
 * snapshot in the action's arguments holds names of credentials only, and is encrypted by the codec;
 * the schedule's own search attributes (plain text) hold a digest, the interval and `enabled`.
 */
import { createHash } from 'node:crypto';
import {
  ScheduleOverlapPolicy,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import type { RotationConfig } from '../../config/schema.js';
import { parseWallTime } from '../../fields/zoned-time.js';
import {
  rotationConfigDigestKey,
  rotationEnabledKey,
  rotationIntervalDaysKey,
  rotationNameKey,
  rotationReasonKey,
  rotationScheduleId,
  type RotationInput,
} from '../../workflow-contract/messages.js';
import { WORKFLOW_TYPES, type Workflows } from '../workflow-names.js';

/** At most one late run after the server (or the schedule) was down: later catch-ups are dropped. */
export const CATCHUP_WINDOW_MS = 86_400_000;

/** Note of a schedule paused because the file says `enabled: false`. */
export const DISABLED_IN_CONFIG_NOTE = 'disabled in the rotations file (schedule.enabled: false)';
/** Notes of schedules paused by `key-rotator pause` start with this; `apply` leaves those paused. */
export const PAUSED_BY_OPERATOR_PREFIX = 'paused by key-rotator pause';

/** The workflow id prefix of scheduled runs (the server appends the scheduled time). */
export function scheduledRunWorkflowId(name: string): string {
  return `rotation-schedule-${name}`;
}

/** The input every scheduled run of `rotation` gets. */
export function scheduledRotationInput(rotation: RotationConfig): RotationInput {
  return { rotation, options: { reason: 'scheduled', onlyIfDue: true } };
}

export type RotationScheduleOptions = ScheduleOptions<
  ScheduleOptionsStartWorkflowAction<Workflows['scheduledRotationWorkflow']>
>;

/**
 * The schedule's own search attributes that `apply` writes; every other one on a schedule (the
 * worker's record of the last run) is carried over when `apply` updates or recreates it.
 */
export const APPLIED_SCHEDULE_KEYS: readonly SearchAttributePair['key'][] = [
  rotationConfigDigestKey,
  rotationIntervalDaysKey,
  rotationEnabledKey,
];

/** The search attributes on a schedule that `apply` does not own (see {@link APPLIED_SCHEDULE_KEYS}). */
export function workerWrittenAttributes(current: TypedSearchAttributes | undefined): SearchAttributePair[] {
  const applied = new Set(APPLIED_SCHEDULE_KEYS.map((key) => key.name));
  return (current?.getAll() ?? []).filter((pair) => !applied.has(pair.key.name));
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** The full schedule options for `rotation` on `taskQueue`; `paused` overrides `!enabled`. */
export function rotationScheduleOptions(
  rotation: RotationConfig,
  taskQueue: string,
  state: { paused: boolean; note: string } = {
    paused: !rotation.schedule.enabled,
    note: rotation.schedule.enabled ? '' : DISABLED_IN_CONFIG_NOTE,
  },
): RotationScheduleOptions {
  const { hour, minute } = parseWallTime(rotation.schedule.rotateAt);
  const written = {
    spec: { calendars: [{ hour, minute }], timezone: rotation.schedule.timezone },
    action: {
      type: 'startWorkflow' as const,
      workflowType: WORKFLOW_TYPES.scheduledRotation,
      workflowId: scheduledRunWorkflowId(rotation.name),
      taskQueue,
      args: [scheduledRotationInput(rotation)] as [RotationInput],
      typedSearchAttributes: [
        { key: rotationNameKey, value: rotation.name },
        { key: rotationReasonKey, value: 'scheduled' },
      ],
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: CATCHUP_WINDOW_MS,
      pauseOnFailure: false,
    },
  };
  // Everything apply writes except the state, which apply decides against the live schedule
  // (an operator's pause outlives it): an equal digest on the schedule means nothing to write.
  const digest = createHash('sha256')
    .update(
      canonicalJson({
        ...written,
        action: { ...written.action, workflowType: WORKFLOW_TYPES.scheduledRotation },
      }),
    )
    .digest('hex');
  return {
    scheduleId: rotationScheduleId(rotation.name),
    ...written,
    typedSearchAttributes: [
      { key: rotationConfigDigestKey, value: digest },
      { key: rotationIntervalDaysKey, value: String(rotation.schedule.intervalDays) },
      { key: rotationEnabledKey, value: String(rotation.schedule.enabled) },
    ],
    state,
  };
}

/** The search attributes {@link rotationScheduleOptions} puts on a schedule, as a list. */
export function appliedAttributes(
  options: Pick<RotationScheduleOptions, 'typedSearchAttributes'>,
): SearchAttributePair[] {
  const pairs = options.typedSearchAttributes;
  return Array.isArray(pairs) ? pairs : (pairs?.getAll() ?? []);
}

/** The config digest {@link rotationScheduleOptions} put on the schedule. */
export function configDigestOf(options: RotationScheduleOptions): string | undefined {
  const found = appliedAttributes(options).find((pair) => pair.key.name === rotationConfigDigestKey.name);
  return typeof found?.value === 'string' ? found.value : undefined;
}
