/**
 * Where the client sends rotations, and the workflows by name. The CLI names the workflows instead
 * of importing their code (loading the workflow modules and @temporalio/workflow would add about
 * 0.2 s to every command); `satisfies` ties each name to a function src/workflows/index.ts
 * exports, so renaming one breaks the build instead of stranding runs.
 */
import type * as workflows from '../workflows/index.js';
import { ROTATION_TASK_QUEUE } from '../workflow-contract/messages.js';

/** The workflows' types, for typed starts: `client.workflow.start<Workflows['rotationWorkflow']>(…)`. */
export type Workflows = typeof workflows;

/** Workflow type names, as Temporal records them (each a function's name). */
export const WORKFLOW_TYPES = {
  rotation: 'rotationWorkflow',
  scheduledRotation: 'scheduledRotationWorkflow',
  sweep: 'sweepWorkflow',
  eventDelivery: 'eventDeliveryWorkflow',
} as const satisfies Record<string, keyof Workflows>;

/** The task queue the worker polls: KEY_ROTATOR_TASK_QUEUE, as `key-rotator worker` reads it. */
export function rotationTaskQueue(env: Record<string, string | undefined>): string {
  return env.KEY_ROTATOR_TASK_QUEUE || ROTATION_TASK_QUEUE;
}
