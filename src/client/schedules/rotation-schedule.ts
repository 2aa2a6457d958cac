/**
 * The Temporal Schedule of one rotation, as the configuration wants it: a daily wake-up at
 * `rotateAt` in the rotation's time zone (Temporal evaluates calendar specs in that zone, so it
 * stays at local time across daylight-saving changes), starting `scheduledRotationWorkflow`, which
 * rotates only when `intervalDays` have passed. No memo, and no secret anywhere: the config
 * snapshot in the action's arguments holds names of credentials only, and is encrypted by the codec.
 */
import {
  ScheduleOverlapPolicy,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { RotationConfig } from '../../config/schema.js';
import { parseWallTime } from '../../config/zoned-time.js';
import {
  rotationNameKey,
  rotationReasonKey,
  rotationScheduleId,
  type RotationInput,
} from '../../workflows/messages.js';
import { scheduledRotationWorkflow } from '../../workflows/index.js';

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
  ScheduleOptionsStartWorkflowAction<typeof scheduledRotationWorkflow>
>;

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
  return {
    scheduleId: rotationScheduleId(rotation.name),
    spec: { calendars: [{ hour, minute }], timezone: rotation.schedule.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: scheduledRotationWorkflow,
      workflowId: scheduledRunWorkflowId(rotation.name),
      taskQueue,
      args: [scheduledRotationInput(rotation)],
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
    state,
  };
}
