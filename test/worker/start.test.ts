/**
 * `key-rotator worker` started as an operator starts it (the binary, configured by environment):
 * it waits for a Temporal server that is not up yet, gives up with the CLI's friendly message
 * after KEY_ROTATOR_CONNECT_TIMEOUT, stops at once when told to while it waits, and joins its
 * Worker Deployment version as the variables say. It starts without loading any secret store's
 * cloud SDK (a store loads its own at its first request, when a rotation uses it).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startTemporalDevServer, type RunningDevServer } from '../../src/dev/temporal-dev-server.js';
import proto from '@temporalio/proto';
import { runKeyRotator, startKeyRotator, uniqueName, type RunningCli } from '../support/cli.js';
import { findFreePort, waitFor } from '../support/net.js';
import { testNamespace } from '../support/temporal.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
/** The start line, with the time the worker began polling (an ISO timestamp first). */
const READY =
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z key-rotator worker polling task queue (\S+) on (\S+) \(namespace [^,]+, ([^,]+),/m;

const workers: RunningCli[] = [];
const servers: RunningDevServer[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  for (const server of servers.splice(0)) await server.stop();
});

function startWorker(env: Record<string, string | undefined>): RunningCli {
  const worker = startKeyRotator(['worker'], {
    env: { KEY_ROTATOR_TASK_QUEUE: uniqueName('worker-start'), ...env },
  });
  workers.push(worker);
  return worker;
}

async function stop(worker: RunningCli): Promise<number | string> {
  worker.child.kill('SIGTERM');
  return worker.exited;
}

async function withConnection<T>(address: string, use: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/** The deployment's current build id, as the server reports it. */
function currentBuildId(address: string, namespace: string, deploymentName: string) {
  return withConnection(address, async (connection) => {
    const answer = await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    return answer.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
  });
}

describe('key-rotator worker while Temporal is unreachable', () => {
  it('waits, saying for what, and polls once a server comes up on that address', async () => {
    const port = await findFreePort();
    const worker = startWorker({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, KEY_ROTATOR_CONNECT_TIMEOUT: '3m' });
    await worker.waitForOutput(
      new RegExp(
        `waiting for Temporal at 127\\.0\\.0\\.1:${port} \\(attempt 2, next in 2 s; gives up after 180 s\\)`,
      ),
      90_000,
    );

    // The worker's TEMPORAL_NAMESPACE (support/cli.ts) must exist on this server too.
    const server = await startTemporalDevServer({
      cliPath: inject('temporalCliPath'),
      port,
      namespace: testNamespace(),
    });
    servers.push(server);
    const [, , address, version] = await worker.waitForOutput(READY, 180_000);
    expect(address).toBe(`127.0.0.1:${port}`);
    // Versioned by default: deployment "key-rotator", a build id derived from package.json and the code.
    const buildId = new RegExp(
      `^worker deployment key-rotator build (${PACKAGE_VERSION.replaceAll('.', '\\.')}-[0-9a-f]{12}) \\(becomes current\\)$`,
    ).exec(version!)?.[1];
    expect(buildId, version).toBeDefined();
    await waitFor(
      async () => (await currentBuildId(server.address, server.namespace, 'key-rotator')) === buildId,
      {
        what: 'the worker version to become current',
        timeoutMs: 60_000,
      },
    );

    expect(await stop(worker)).toBe(0);
    expect(worker.output()).not.toContain('tonic::');
  });

  it('gives up after KEY_ROTATOR_CONNECT_TIMEOUT: exit 1, the friendly message, no transport dump', async () => {
    const port = await findFreePort();
    const started = Date.now();
    const run = await runKeyRotator(['worker'], {
      env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, KEY_ROTATOR_CONNECT_TIMEOUT: '3s' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `waiting for Temporal at 127\\.0\\.0\\.1:${port} \\(attempt 1, next in 1 s; gives up after 3 s\\): .*Connection refused`,
      ),
    );
    expect(run.stderr).toMatch(
      new RegExp(
        `key-rotator: cannot reach Temporal at 127\\.0\\.0\\.1:${port}: .*Connection refused \\(\\d+ attempts in [34] s; ` +
          'KEY_ROTATOR_CONNECT_TIMEOUT sets how long the worker waits\\); set TEMPORAL_ADDRESS',
      ),
    );
    expect(run.stdout + run.stderr).not.toContain('tonic::');
    expect(run.stdout).not.toMatch(/worker polling/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('stops at once, exit 0, when SIGTERM arrives while it waits', async () => {
    const port = await findFreePort();
    const worker = startWorker({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    await worker.waitForOutput(/waiting for Temporal at .*gives up after 60 s/, 90_000);
    const signalled = Date.now();
    expect(await stop(worker)).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5_000);
  });

  it('refuses a KEY_ROTATOR_CONNECT_TIMEOUT that is not a duration before connecting (exit 2)', async () => {
    const run = await runKeyRotator(['worker'], { env: { KEY_ROTATOR_CONNECT_TIMEOUT: 'soon' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/KEY_ROTATOR_CONNECT_TIMEOUT=soon: expected a duration such as 60s/);
    expect(run.stderr).not.toMatch(/waiting for Temporal/);
  });
});

describe('key-rotator worker versioning settings', () => {
  const address = inject('temporalAddress');
  const namespace = testNamespace();

  it('joins the named deployment with the given build id, and makes it current only when asked', async () => {
    const deploymentName = uniqueName('key-rotator-test');
    const taskQueue = uniqueName('worker-start');
    const staged = startWorker({
      KEY_ROTATOR_TASK_QUEUE: taskQueue,
      KEY_ROTATOR_DEPLOYMENT_NAME: deploymentName,
      KEY_ROTATOR_BUILD_ID: 'staged-1',
      KEY_ROTATOR_SET_CURRENT_VERSION: 'false',
    });
    const [, , , stagedVersion] = await staged.waitForOutput(READY, 180_000);
    expect(stagedVersion).toBe(`worker deployment ${deploymentName} build staged-1 (not made current)`);
    const versions = await waitFor(
      () =>
        withConnection(address, async (connection) => {
          const answer = await connection.workflowService.describeWorkerDeployment({
            namespace,
            deploymentName,
          });
          const ids = (answer.workerDeploymentInfo?.versionSummaries ?? []).map(
            (v) => v.deploymentVersion?.buildId,
          );
          return ids.includes('staged-1') ? ids : undefined;
        }).catch(() => undefined),
      { what: 'the staged version to be registered', timeoutMs: 60_000 },
    );
    expect(versions).toContain('staged-1');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await currentBuildId(address, namespace, deploymentName)).toBeUndefined();
    expect(await stop(staged)).toBe(0);

    const next = startWorker({
      KEY_ROTATOR_TASK_QUEUE: taskQueue,
      KEY_ROTATOR_DEPLOYMENT_NAME: deploymentName,
      KEY_ROTATOR_BUILD_ID: 'next-2',
    });
    const [, , , nextVersion] = await next.waitForOutput(READY, 180_000);
    expect(nextVersion).toBe(`worker deployment ${deploymentName} build next-2 (becomes current)`);
    await waitFor(async () => (await currentBuildId(address, namespace, deploymentName)) === 'next-2', {
      what: 'next-2 to become current',
      timeoutMs: 60_000,
    });
    expect(await stop(next)).toBe(0);
  });

  it('runs unversioned with KEY_ROTATOR_WORKER_VERSIONING=false', async () => {
    const taskQueue = uniqueName('worker-start');
    const worker = startWorker({ KEY_ROTATOR_TASK_QUEUE: taskQueue, KEY_ROTATOR_WORKER_VERSIONING: 'false' });
    const [, , , version] = await worker.waitForOutput(READY, 180_000);
    expect(version).toBe('unversioned');
    const pollers = await waitFor(
      () =>
        withConnection(address, async (connection) => {
          const answer = await connection.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue },
            taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          });
          return answer.pollers?.length ? answer.pollers : undefined;
        }),
      { what: 'the worker to poll', timeoutMs: 60_000 },
    );
    expect(pollers.every((p) => !p.deploymentOptions?.deploymentName)).toBe(true);
    expect(await stop(worker)).toBe(0);
  });

  it('refuses a versioning flag that is neither true nor false (exit 2)', async () => {
    const run = await runKeyRotator(['worker'], { env: { KEY_ROTATOR_SET_CURRENT_VERSION: 'yes' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/KEY_ROTATOR_SET_CURRENT_VERSION=yes: expected true or false/);
  });
});

describe('key-rotator worker start-up', () => {
  it('polls without loading any secret store SDK (AWS, Azure, Google Cloud), which a module hook refuses', async () => {
    const refuseStoreSdks = fileURLToPath(new URL('../fixtures/refuse-store-sdks.mjs', import.meta.url));
    const worker = startWorker({
      NODE_OPTIONS: `--import ${refuseStoreSdks}`,
      KEY_ROTATOR_WORKER_VERSIONING: 'false',
    });
    const [, , address] = await worker.waitForOutput(READY, 180_000);
    expect(address).toBe(inject('temporalAddress'));
    expect(await stop(worker)).toBe(0);
  });
});
