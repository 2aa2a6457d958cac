/**
 * Reads the rotation schedules that exist in Temporal, decoding each one's config snapshot (the
 * action's arguments) through the client's data converter, i.e. the payload codec.
 */
import {
  isGrpcServiceError,
  ScheduleNotFoundError,
  ServiceError,
  type Client,
  type ScheduleDescription,
  type ScheduleSummary,
} from '@temporalio/client';
import { rotationScheduleId, type RotationInput } from '../../workflow-contract/messages.js';
import type { RotationConfig } from '../../config/schema.js';

const SCHEDULE_ID_PREFIX = rotationScheduleId('');

export type CurrentSchedule =
  | { state: 'missing'; name: string }
  | {
      state: 'found';
      name: string;
      description: ScheduleDescription;
      input?: RotationInput;
      rotation?: RotationConfig;
    }
  /** The schedule exists but its arguments cannot be decoded (e.g. encrypted with a codec key we lack). */
  | { state: 'undecodable'; name: string; reason: string };

function isRotationInput(value: unknown): value is RotationInput {
  if (typeof value !== 'object' || value === null) return false;
  const rotation = (value as { rotation?: unknown }).rotation;
  return (
    typeof rotation === 'object' &&
    rotation !== null &&
    typeof (rotation as { name?: unknown }).name === 'string'
  );
}

export async function readRotationSchedule(client: Client, name: string): Promise<CurrentSchedule> {
  let description: ScheduleDescription;
  try {
    description = await client.schedule.getHandle(rotationScheduleId(name)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return { state: 'missing', name };
    if (err instanceof ServiceError || isGrpcServiceError(err)) throw err;
    // Anything else comes from decoding the payloads.
    return { state: 'undecodable', name, reason: err instanceof Error ? err.message : String(err) };
  }
  const input = description.action.args?.[0];
  return isRotationInput(input)
    ? { state: 'found', name, description, input, rotation: input.rotation }
    : { state: 'found', name, description };
}

/**
 * Every rotation schedule, by rotation name, with what the listing carries: spec, state, next
 * wake-ups and the schedule's search attributes (see APPLIED_SCHEDULE_KEYS and the worker's
 * record of the last run). One paginated ListSchedules; Temporal's visibility can lag a moment
 * behind a schedule that was just created, changed or deleted.
 */
export async function listRotationSchedules(client: Client): Promise<Map<string, ScheduleSummary>> {
  const schedules = new Map<string, ScheduleSummary>();
  for await (const summary of client.schedule.list({ pageSize: 1000 })) {
    if (summary.scheduleId.startsWith(SCHEDULE_ID_PREFIX))
      schedules.set(summary.scheduleId.slice(SCHEDULE_ID_PREFIX.length), summary);
  }
  return new Map([...schedules].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Names of every rotation that has a schedule (see {@link listRotationSchedules}). */
export async function listRotationScheduleNames(client: Client): Promise<string[]> {
  return [...(await listRotationSchedules(client)).keys()];
}
