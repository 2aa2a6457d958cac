/**
 * What a rotation's Schedule starts every day at `rotateAt`: it runs the rotation as a child with
 * the key's fixed workflow id, so a scheduled and a manual rotation of one key never overlap, and
 * the rotation itself decides whether it is due.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import {
  rotationNameKey,
  rotationReasonKey,
  rotationWorkflowId,
  type RotationInput,
  type RotationResult,
} from '../workflow-contract/messages.js';
import { rotationWorkflow } from './rotation-workflow.js';

export async function scheduledRotationWorkflow(input: RotationInput): Promise<RotationResult> {
  const name = input.rotation.name;
  try {
    return await executeChild(rotationWorkflow, {
      workflowId: rotationWorkflowId(name),
      args: [{ ...input, options: { reason: 'scheduled', onlyIfDue: true, ...input.options } }],
      // A rotation in flight must finish (or roll back) even if this wake-up is terminated.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: rotationNameKey, value: name },
        { key: rotationReasonKey, value: 'scheduled' },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const now = new Date().toISOString();
      return {
        rotation: name,
        outcome: 'skipped',
        destinations: [],
        steps: [],
        startedAt: workflowInfo().startTime.toISOString(),
        endedAt: now,
        skippedBecause: 'a rotation of this key is already running',
        warnings: [],
      };
    }
    throw err;
  }
}
