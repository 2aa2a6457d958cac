/**
 * What differs between a rotation's schedule as the file wants it and as Temporal holds it, field
 * by field: first the config snapshot (named like the file: `schedule.intervalDays`), then anything
 * that was changed on the schedule by hand (spec, policies, action, state).
 */
import type { ScheduleDescription } from '@temporalio/client';
import { extractWorkflowType } from '@temporalio/common';
import type { RotationInput } from '../../workflow-contract/messages.js';
import { rotationNameKey, rotationReasonKey } from '../../workflow-contract/messages.js';
import { deepDiff, type FieldChange } from './deep-diff.js';
import { PAUSED_BY_OPERATOR_PREFIX, type RotationScheduleOptions } from './rotation-schedule.js';

export interface ScheduleDiff {
  changes: FieldChange[];
  /** The state the schedule should have after the update. */
  state: { paused: boolean; note: string };
  /** Things worth telling the user that are not changes. */
  notes: string[];
}

function singleValue(ranges: { start: unknown; end: unknown; step: number }[] | undefined): unknown {
  return ranges?.length === 1 && ranges[0]?.start === ranges[0]?.end ? ranges[0]?.start : ranges;
}

function specOf(spec: ScheduleDescription['spec']) {
  const calendar = spec.calendars?.length === 1 ? spec.calendars[0] : undefined;
  return {
    calendars: calendar
      ? [{ hour: singleValue(calendar.hour), minute: singleValue(calendar.minute) }]
      : (spec.calendars ?? []).length,
    timezone: spec.timezone ?? 'UTC',
    extra: (spec.intervals?.length ?? 0) + (spec.skip?.length ?? 0),
  };
}

/** How the schedule's spec differs from the wanted one (e.g. changed by hand), field by field. */
export function specChanges(
  desired: RotationScheduleOptions,
  current: ScheduleDescription['spec'] | undefined,
): FieldChange[] {
  const wanted = {
    calendars: (desired.spec.calendars ?? []).map((c) => ({ hour: c.hour, minute: c.minute })),
    timezone: desired.spec.timezone ?? 'UTC',
    extra: 0,
  };
  return deepDiff(current ? specOf(current) : undefined, wanted, 'spec');
}

/**
 * The state a schedule should have after `apply`: as the file says, except that a pause by an
 * operator (an incident, a freeze) outlives `apply`; only `resume` ends it.
 */
export function wantedState(
  desired: RotationScheduleOptions,
  current: { paused: boolean; note?: string },
): { paused: boolean; note: string; pausedByOperator: boolean } {
  const note = current.note ?? '';
  return current.paused && note.startsWith(PAUSED_BY_OPERATOR_PREFIX)
    ? { paused: true, note, pausedByOperator: true }
    : { paused: desired.state?.paused ?? false, note: desired.state?.note ?? '', pausedByOperator: false };
}

/** What `apply` says of a schedule an operator paused: it stays paused, and how to end that. */
export function operatorPauseNote(name: string, note: string): string {
  return `${note}; \`key-rotator resume ${name}\` resumes it`;
}

/** The differences; empty `changes` means the schedule already matches. */
export function diffSchedule(desired: RotationScheduleOptions, current: ScheduleDescription): ScheduleDiff {
  const desiredInput = desired.action.args?.[0] as RotationInput;
  const currentInput = current.action.args?.[0] as RotationInput | undefined;
  const changes = deepDiff(currentInput?.rotation, desiredInput.rotation);
  changes.push(...deepDiff(currentInput?.options, desiredInput.options, 'options'));

  // The spec follows rotateAt/timezone; report it only when it drifted on its own.
  if (!changes.some((c) => c.field.startsWith('schedule.')))
    changes.push(...specChanges(desired, current.spec));
  const policies = desired.policies ?? {};
  changes.push(
    ...deepDiff(
      {
        overlap: current.policies.overlap,
        catchupWindow: current.policies.catchupWindow,
        pauseOnFailure: current.policies.pauseOnFailure,
      },
      {
        overlap: policies.overlap,
        catchupWindow: policies.catchupWindow,
        pauseOnFailure: policies.pauseOnFailure,
      },
      'policies',
    ),
  );
  const attributes = current.action.typedSearchAttributes;
  const attributesHas = (key: typeof rotationNameKey) =>
    attributes && 'get' in attributes ? attributes.get(key) : undefined;
  changes.push(
    ...deepDiff(
      {
        workflowType: current.action.workflowType,
        workflowId: current.action.workflowId,
        taskQueue: current.action.taskQueue,
        rotationName: attributesHas(rotationNameKey),
        rotationReason: attributesHas(rotationReasonKey),
      },
      {
        workflowType: extractWorkflowType(desired.action.workflowType),
        workflowId: desired.action.workflowId,
        taskQueue: desired.action.taskQueue,
        rotationName: desiredInput.rotation.name,
        rotationReason: 'scheduled',
      },
      'action',
    ),
  );

  const notes: string[] = [];
  const { pausedByOperator, ...state } = wantedState(desired, current.state);
  if (pausedByOperator) notes.push(operatorPauseNote(desiredInput.rotation.name, state.note));
  if (state.paused !== current.state.paused)
    changes.push({ field: 'state.paused', from: current.state.paused, to: state.paused });
  return { changes, state, notes };
}
