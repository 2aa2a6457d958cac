/**
 * Turning Worker Versioning on in an installation that ran unversioned (docs/operations.md,
 * "Deploying a new worker version"), against the real dev server: what happens to a rotation that
 * an unversioned worker started, and to one started before any version is current.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endGraceSignal, statusQuery } from '../../src/workflow-contract/messages.js';
import { waitFor } from '../support/net.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;
let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

async function versioningOf(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { buildId: info?.deploymentVersion?.buildId ?? undefined, behavior: info?.behavior ?? undefined };
}

async function currentBuildId(deploymentName: string): Promise<string | undefined> {
  const answer = await h.client.workflowService.describeWorkerDeployment({
    namespace: h.client.options.namespace,
    deploymentName,
  });
  return answer.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId ?? undefined;
}

describe('switching Worker Versioning on', () => {
  it('moves a rotation started unversioned to the first current version at its next step, pinned there, even with an unversioned worker still polling', async () => {
    const deploymentName = `key-rotator-adopt-${randomBytes(3).toString('hex')}`;
    await h.adoptKey(['adopt.env']);
    const unversioned = await h.worker();
    const unversionedRun = unversioned.run();
    const rotation = await h.startRotation(h.rotation('adopt', { gracePeriod: '1h' }, ['adopt.env']));
    await waitFor(async () => (await rotation.query(statusQuery)).step === 'grace', {
      what: 'the rotation to reach grace',
      timeoutMs: 60_000,
    });
    expect(await versioningOf(rotation)).toEqual({ buildId: undefined, behavior: undefined });

    const versioned = await h.worker({ versioning: { deploymentName, buildId: 'first', setCurrent: true } });
    const versionedRun = versioned.run();
    await waitFor(async () => (await currentBuildId(deploymentName)) === 'first', {
      what: 'the version to become current',
      timeoutMs: 60_000,
    });

    // Its next workflow task goes to the current version, which replays its unversioned history;
    // the unversioned worker, still polling, does not get it.
    await rotation.signal(endGraceSignal);
    expect((await rotation.result()).outcome).toBe('succeeded');
    expect(await versioningOf(rotation)).toMatchObject({ buildId: 'first', behavior: PINNED });
    unversioned.shutdown();
    versioned.shutdown();
    await Promise.all([unversionedRun, versionedRun]);
  });

  it('a rotation started before any version is current waits, then runs pinned to the version made current', async () => {
    const deploymentName = `key-rotator-race-${randomBytes(3).toString('hex')}`;
    await h.adoptKey(['race.env']);
    const staged = await h.worker({ versioning: { deploymentName, buildId: 'staged', setCurrent: false } });
    const stagedRun = staged.run();
    const rotation = await h.startRotation(h.rotation('race', { gracePeriod: '1s' }, ['race.env']));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // Nobody polls unversioned tasks here, and no version is current: nothing ran.
    expect((await rotation.describe()).historyLength).toBeLessThanOrEqual(2);

    const current = await h.worker({ versioning: { deploymentName, buildId: 'staged', setCurrent: true } });
    const result = await current.runUntil(() => rotation.result());
    expect(result.outcome).toBe('succeeded');
    expect(await versioningOf(rotation)).toMatchObject({ buildId: 'staged', behavior: PINNED });
    staged.shutdown();
    await stagedRun;
  });
});
