/**
 * Worker Versioning against the real dev server: a rotation stays pinned to the worker version that
 * started it while a new version takes new rotations, so deploying new worker code never replays a
 * rotation that sits in grace on code it did not start with.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import { buildIdOf } from '../../src/worker/worker-deployment.js';
import { endGraceSignal, statusQuery } from '../../src/workflow-contract/messages.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
const deploymentName = `key-rotator-test-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function currentBuildId(): Promise<string | undefined> {
  const answer = await h.client.workflowService.describeWorkerDeployment({
    namespace: h.client.options.namespace,
    deploymentName,
  });
  return answer.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
}

async function pinnedBuildId(handle: WorkflowHandle): Promise<{ buildId?: string; behavior?: unknown }> {
  const { raw } = await handle.describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  return {
    buildId: info?.deploymentVersion?.buildId ?? undefined,
    behavior: info?.behavior ?? undefined,
  };
}

async function historyLength(handle: WorkflowHandle): Promise<number> {
  return (await handle.describe()).historyLength;
}

function versioned(buildId: string, setCurrent: boolean): Promise<RotationWorkers> {
  return h.worker({ versioning: { deploymentName, buildId, setCurrent } });
}

describe('worker versioning', () => {
  it('keeps a rotation in grace pinned to its version while a new version takes new rotations', async () => {
    await h.adoptKey(['long.env']);
    await h.adoptKey(['short.env']);
    const v1 = await versioned('v1', true);
    const v1Run = v1.run();
    await eventually('v1 to become current', async () =>
      (await currentBuildId()) === 'v1' ? true : undefined,
    );

    const long = await h.startRotation(h.rotation('long', { gracePeriod: '1h' }, ['long.env']));
    await eventually('the long rotation to reach grace', async () =>
      (await long.query(statusQuery)).step === 'grace' ? true : undefined,
    );

    const v2 = await versioned('v2', true);
    const v2Run = v2.run();
    await eventually('v2 to become current', async () =>
      (await currentBuildId()) === 'v2' ? true : undefined,
    );

    // New rotations go to the new version.
    const short = await h.startRotation(h.rotation('short', { gracePeriod: '1s' }, ['short.env']));
    expect((await short.result()).outcome).toBe('succeeded');
    expect(await pinnedBuildId(short)).toMatchObject({ buildId: 'v2' });

    // The rotation in grace stays on v1: with v1 stopped, nothing runs it, not even v2.
    expect(await pinnedBuildId(long)).toMatchObject({ buildId: 'v1' });
    v1.shutdown();
    await v1Run;
    await long.signal(endGraceSignal);
    const lengthAfterSignal = await historyLength(long);
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await long.describe()).status.name).toBe('RUNNING');
    // Only the signal and a workflow task scheduled for v1 may be added; no step ran on v2.
    expect(await historyLength(long)).toBeLessThanOrEqual(lengthAfterSignal + 1);

    // A v1 worker coming back (not current) finishes it.
    const v1Again = await versioned('v1', false);
    const result = await v1Again.runUntil(() => long.result());
    expect(result.outcome).toBe('succeeded');
    expect(await pinnedBuildId(long)).toMatchObject({ buildId: 'v1' });

    v2.shutdown();
    await v2Run;
  });

  it('derives the build id from the workflow code, so different code never shares a version', () => {
    expect(buildIdOf('1.2.3', 'code A')).toBe(buildIdOf('1.2.3', 'code A'));
    expect(buildIdOf('1.2.3', 'code A')).not.toBe(buildIdOf('1.2.3', 'code B'));
    expect(buildIdOf('1.2.3', 'code A')).toMatch(/^1\.2\.3-[0-9a-f]{12}$/);
  });
});
