/**
 * Names under which the worker registers the workflows. The client refers to them by name so that
 * it never imports workflow code (only src/workflows/messages.ts).
 */
import { ROTATION_TASK_QUEUE } from '../workflows/messages.js';

/** One rotation of one key (`rotationWorkflow` in src/workflows). */
export const ROTATION_WORKFLOW_TYPE = 'rotationWorkflow';
/** What a rotation's schedule starts daily (`scheduledRotationWorkflow` in src/workflows). */
export const SCHEDULED_ROTATION_WORKFLOW_TYPE = 'scheduledRotationWorkflow';

/** The task queue the worker polls: KEY_ROTATOR_TASK_QUEUE, as `key-rotator worker` reads it. */
export function rotationTaskQueue(env: Record<string, string | undefined>): string {
  return env.KEY_ROTATOR_TASK_QUEUE || ROTATION_TASK_QUEUE;
}
