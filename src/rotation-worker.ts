/**
 * Builds the two workers of a rotation deployment on one connection: one for the rotation
 * workflows and the destination activities, one for the OpenRouter activities with a
 * task-queue-wide rate limit, so many rotations at once never exceed the configured request rate.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from './activities/index.js';
import { openRouterTaskQueue, ROTATION_TASK_QUEUE } from './workflows/messages.js';

export interface RotationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  dataConverter: DataConverter;
  dependencies: ActivityDependencies;
  /** @default ROTATION_TASK_QUEUE */
  taskQueue?: string;
  /** OpenRouter calls per second across every worker of this task queue. @default 5 */
  openRouterRequestsPerSecond?: number;
  /** Prebuilt workflow code; otherwise the workflows are bundled at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Where the workflow sources are: `.ts` next to this file under tsx/vitest, `.js` when compiled. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`./workflows/index${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export interface RotationWorkers {
  /** Runs both workers until shutdown; if one fails the other is shut down too. */
  run(): Promise<void>;
  shutdown(): void;
  /** Runs both until `promise` settles, then shuts down (tests). */
  runUntil<T>(promise: Promise<T> | (() => Promise<T>)): Promise<T>;
}

export async function createRotationWorkers(options: RotationWorkerOptions): Promise<RotationWorkers> {
  const taskQueue = options.taskQueue ?? ROTATION_TASK_QUEUE;
  const activities = createActivities(options.dependencies);
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    dataConverter: options.dataConverter,
  };
  const rotationWorker = await Worker.create({
    ...common,
    taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
    activities: activities.destinations,
  });
  const apiWorker = await Worker.create({
    ...common,
    taskQueue: openRouterTaskQueue(taskQueue),
    activities: activities.openRouter,
    maxTaskQueueActivitiesPerSecond: options.openRouterRequestsPerSecond ?? 5,
  });
  const workers = [rotationWorker, apiWorker];
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const run = async () => {
    const runs = workers.map((w) =>
      w.run().catch((err: unknown) => {
        shutdown();
        throw err;
      }),
    );
    await Promise.all(runs);
  };
  return {
    run,
    shutdown,
    async runUntil<T>(promise: Promise<T> | (() => Promise<T>)): Promise<T> {
      const running = run();
      try {
        return await (typeof promise === 'function' ? promise() : promise);
      } finally {
        shutdown();
        await running;
      }
    },
  };
}
