/**
 * Builds the two workers of a rotation deployment on one connection: one for the rotation
 * workflows and the destination activities, one for the OpenRouter activities with a
 * task-queue-wide rate limit, so many rotations at once never exceed the configured request rate.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, type NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { createScheduleActivities } from '../activities/schedule-activities.js';
import { Logger } from '../logging/logger.js';
import { activityLogFields } from './activity-log-fields.js';
import { exportCountersAtZero } from './counters-at-start.js';
import {
  buildIdOf,
  setCurrentDeploymentVersion,
  workerDeploymentOptions,
  type WorkerDeployment,
} from './worker-deployment.js';
import { openRouterTaskQueue, ROTATION_TASK_QUEUE } from '../workflow-contract/messages.js';

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
  workflowBundle?: { code: string } | { codePath: string };
  /**
   * Worker Versioning: join this Worker Deployment, with rotation runs pinned to the version that
   * started them. The build id is derived from the workflow bundle (see worker-deployment.ts).
   * Unset = an unversioned worker (tests, the benchmark).
   */
  versioning?: {
    deploymentName: string;
    /** @default `<packageVersion>-<sha256 of the workflow bundle>` */
    buildId?: string;
    /** Package version that prefixes the derived build id. @default "0.0.0" */
    packageVersion?: string;
    /** Make this version the deployment's current one once it polls. @default false */
    setCurrent?: boolean;
  };
  /** The workers' own lines (not the SDK's: those go to the Runtime's logger). @default text on stdout/stderr */
  log?: Logger;
}

/**
 * Tuned for bursts of new rotations (a fleet's schedules firing together): a new run's first
 * workflow task waits on the shared (non-sticky) queue, which the SDK's default ratio of 0.2
 * serves with 2 of 10 pollers; half of them take it here. The cache is bounded: a rotation spends
 * most of its life in a timer, and an evicted run replays its short history (~70 events) on its
 * next task. With 1,000 rotations started at once (the bench's memory row, 2 cores): 150 cached
 * runs peak at 635 MB RSS and bring 3.9 rotations a second to their grace period, 1,000 cached
 * runs peak at 842 MB and bring 5.2 a second.
 */
const WORKFLOW_WORKER_TUNING = {
  maxConcurrentWorkflowTaskPolls: 10,
  nonStickyToStickyPollRatio: 0.5,
  maxCachedWorkflows: 150,
} as const;

/** `.ts` under tsx/vitest, `.js` when compiled: the workflow sources are in the folder beside this one either way. */
const SOURCE_EXTENSION = extname(fileURLToPath(import.meta.url));

/** Where the workflow sources are. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${SOURCE_EXTENSION}`, import.meta.url),
);

/**
 * The modules the workflows import that build zod schemas (the workflows take only plain functions
 * and constants from them and never parse). Every bundle of the workflows preloads them
 * (`preloadModules`: the build script, the worker's own bundling, the tests), so a worker evaluates
 * zod and the schemas once and all its workflow runs share them; otherwise each cached run, and each
 * run replayed after an eviction, evaluates them again: about 1 MB of heap and 25 ms of CPU per run,
 * against about 60 KB and 2 ms preloaded (measured with the SDK's reusable V8 context).
 * The SDK freezes preloaded modules, zod's shared state with them: a schema module the workflows
 * import that is missing here fails every workflow at its start ("object is not extensible").
 */
export const WORKFLOW_PRELOAD_MODULES = ['config/schema', 'events/event-types', 'events/sink-schemas'].map(
  (module) => fileURLToPath(new URL(`../${module}${SOURCE_EXTENSION}`, import.meta.url)),
);

export interface RotationWorkers {
  /** The deployment version these workers belong to, when versioned. */
  deployment: WorkerDeployment | undefined;
  /** Runs both workers until shutdown; if one fails the other is shut down too. */
  run(): Promise<void>;
  shutdown(): void;
  /** Runs both until `promise` settles, then shuts down (tests). */
  runUntil<T>(promise: Promise<T> | (() => Promise<T>)): Promise<T>;
}

export async function createRotationWorkers(options: RotationWorkerOptions): Promise<RotationWorkers> {
  const taskQueue = options.taskQueue ?? ROTATION_TASK_QUEUE;
  const activities = createActivities(options.dependencies);
  const { workflowBundle, deployment } = await workflowCodeAndDeployment(options);
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    dataConverter: options.dataConverter,
    interceptors: { activity: [activityLogFields] },
    // Both task queues in one version: a pinned run's OpenRouter activities run on its own version too.
    ...(deployment ? { workerDeploymentOptions: workerDeploymentOptions(deployment) } : {}),
  };
  const rotationWorker = await Worker.create({
    ...common,
    taskQueue,
    ...(workflowBundle
      ? { workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: WORKFLOW_PRELOAD_MODULES } }),
    activities: {
      ...activities.destinations,
      ...activities.notifications,
      // The record of each run on its schedule, read by `list`: a client on the worker's connection.
      ...createScheduleActivities({
        client: new Client({ connection: options.connection, namespace: options.namespace }),
      }),
    },
    ...WORKFLOW_WORKER_TUNING,
  });
  const apiWorker = await Worker.create({
    ...common,
    taskQueue: openRouterTaskQueue(taskQueue),
    activities: { ...activities.openRouter, ...activities.carryOver },
    maxTaskQueueActivitiesPerSecond: options.openRouterRequestsPerSecond ?? 5,
  });
  const workers = [rotationWorker, apiWorker];
  // A shutdown also ends the wait to become the current version: a worker stopped right after it
  // started has nothing to hand new rotations to.
  const stopping = new AbortController();
  const shutdown = () => {
    stopping.abort();
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const log = options.log ?? new Logger('text');
  const run = async () => {
    // Best effort: a worker without the right to list schedules still rotates.
    await exportCountersAtZero({ ...common, taskQueue, dataConverter: options.dataConverter }).catch(
      (err: unknown) =>
        log.warn(
          `key-rotator: could not export the rotation counters at 0 (${err instanceof Error ? err.message : String(err)})`,
        ),
    );
    const runs = workers.map((w) =>
      w.run().catch((err: unknown) => {
        shutdown();
        throw err;
      }),
    );
    if (deployment && options.versioning?.setCurrent) {
      runs.push(
        setCurrentDeploymentVersion({
          connection: options.connection,
          namespace: options.namespace,
          deployment,
          signal: stopping.signal,
        }).catch((err: unknown) => {
          shutdown();
          throw err;
        }),
      );
    }
    await Promise.all(runs);
  };
  return {
    deployment,
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

/**
 * The workflow code to run and, for a versioned worker, its deployment version. A versioned worker
 * bundles its workflows up front so the build id can be derived from exactly the code it runs.
 */
async function workflowCodeAndDeployment(options: RotationWorkerOptions): Promise<{
  workflowBundle: { code: string } | { codePath: string } | undefined;
  deployment: WorkerDeployment | undefined;
}> {
  const versioning = options.versioning;
  if (!versioning) return { workflowBundle: options.workflowBundle, deployment: undefined };
  let workflowBundle = options.workflowBundle;
  let buildId = versioning.buildId;
  if (!buildId) {
    const code =
      workflowBundle === undefined
        ? (workflowBundle = await bundleWorkflowCode({
            workflowsPath: WORKFLOWS_PATH,
            // As Worker.create would: workflow failures encoded like the worker's (src/codec/data-converter.ts),
            // webpack's output to the Runtime's logger (the SDK's default logger would print it to the console).
            failureConverterPath: options.dataConverter.failureConverterPath,
            logger: Runtime.instance().logger,
            preloadModules: WORKFLOW_PRELOAD_MODULES,
          })).code
        : 'code' in workflowBundle
          ? workflowBundle.code
          : await readFile(workflowBundle.codePath, 'utf8');
    buildId = buildIdOf(versioning.packageVersion ?? '0.0.0', code);
  }
  return { workflowBundle, deployment: { deploymentName: versioning.deploymentName, buildId } };
}
