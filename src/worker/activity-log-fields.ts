/**
 * Every log line of a rotation's activity names its rotation: the SDK adds the run's ids
 * (workflowId, workflowRunId) to the activity logger's lines, and this interceptor adds the name of
 * the rotation the activity was called for (its first argument, the rotation's config), so a line
 * of a store or the OpenRouter client needs no `rotation` field of its own.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

function rotationNameOf(arg: unknown): string | undefined {
  if (arg === null || typeof arg !== 'object') return undefined;
  const name = (arg as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

export const activityLogFields: ActivityInterceptorsFactory = () => {
  let rotation: string | undefined;
  return {
    inbound: {
      execute(input, next) {
        rotation = rotationNameOf(input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(attributes, next) {
        return next(rotation === undefined ? attributes : { rotation, ...attributes });
      },
    },
  };
};
