/**
 * Where the client sends rotations. The workflows themselves are referred to by their functions
 * (`client.workflow.start(rotationWorkflow, …)`, imported from src/workflows/index.ts, which has no
 * Node built-ins), so that renaming one breaks the build instead of stranding runs.
 */
import { ROTATION_TASK_QUEUE } from '../workflows/messages.js';

/** The task queue the worker polls: KEY_ROTATOR_TASK_QUEUE, as `key-rotator worker` reads it. */
export function rotationTaskQueue(env: Record<string, string | undefined>): string {
  return env.KEY_ROTATOR_TASK_QUEUE || ROTATION_TASK_QUEUE;
}
