/**
 * Worker Versioning: every worker process belongs to a Worker Deployment version (deployment name +
 * build id), and rotation runs are PINNED to the version that started them. A rotation can sit in
 * grace or hold for hours; pinning means new worker code never replays a run it did not start, so
 * deploying needs no patching — old workers drain the runs they own while new runs go to the new
 * version (see docs/operations.md, "Deploying a new worker version").
 */
import { createHash } from 'node:crypto';
import type { NativeConnection, WorkerDeploymentOptions } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';

/** @default "key-rotator" */
export const DEFAULT_DEPLOYMENT_NAME = 'key-rotator';

export interface WorkerDeployment {
  /** Worker Deployment name; every worker of one installation shares it. */
  deploymentName: string;
  /** Identifies the workflow code: workers with the same build id must run the same workflow code. */
  buildId: string;
}

/** The SDK options that put a worker into `deployment`, with rotation runs pinned to it. */
export function workerDeploymentOptions(deployment: WorkerDeployment): WorkerDeploymentOptions {
  return {
    version: { deploymentName: deployment.deploymentName, buildId: deployment.buildId },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  };
}

/**
 * A build id derived from the workflow code itself (package version + sha256 of the bundle), so two
 * builds of different workflow code can never share a version by accident, and the same code always
 * gets the same id on every replica.
 */
export function buildIdOf(packageVersion: string, workflowBundleCode: string): string {
  const digest = createHash('sha256').update(workflowBundleCode).digest('hex').slice(0, 12);
  return `${packageVersion}-${digest}`;
}

export interface SetCurrentVersionOptions {
  connection: NativeConnection;
  namespace: string;
  deployment: WorkerDeployment;
  /** Stops waiting when aborted. */
  signal?: AbortSignal;
  /** How long to wait for the server to have seen this version's pollers. @default 60_000 */
  timeoutMs?: number;
}

/**
 * Makes this worker's version the deployment's current one, so new rotations (and schedule runs)
 * go to it. The server accepts that only once it has seen this version poll every task queue, so
 * this retries with a bounded back-off. Runs pinned to older versions stay where they are.
 */
export async function setCurrentDeploymentVersion(options: SetCurrentVersionOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let delayMs = 250;
  for (;;) {
    if (options.signal?.aborted) return;
    try {
      await options.connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: options.namespace,
        deploymentName: options.deployment.deploymentName,
        buildId: options.deployment.buildId,
        identity: `key-rotator worker ${options.deployment.buildId}`,
      });
      return;
    } catch (err) {
      if (options.signal?.aborted) return;
      if (Date.now() + delayMs > deadline) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(
          `could not make build ${options.deployment.buildId} the current version of worker deployment ` +
            `${options.deployment.deploymentName}: ${reason}`,
        );
      }
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
      delayMs = Math.min(delayMs * 2, 5_000);
    }
  }
}
