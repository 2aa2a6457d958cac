/**
 * When the in-process worker is ready: Temporal lists it among the pollers of its task queue. The
 * poller identity is the SDK's default (`pid@host`), so a poller left from an earlier run of the
 * demo is not mistaken for this one.
 */
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

/** Resolves once this process polls `taskQueue` for workflow tasks; rejects after `timeoutMs`. */
export async function waitForWorkerPolling(
  client: Client,
  taskQueue: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const identity = `${process.pid}@${hostname()}`;
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  while (Date.now() < deadline) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if (pollers?.some((p) => p.identity === identity)) return;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  throw new Error(`the worker did not start polling task queue ${taskQueue} in time`);
}
