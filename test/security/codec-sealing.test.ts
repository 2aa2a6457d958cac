/**
 * A sealed key opens only where it was sealed: same codec key, same purpose (new key or old key),
 * same rotation, same workflow. Whoever can write activity input (a forged or replayed workflow
 * history) cannot move one rotation's key into another rotation's destinations, nor make a
 * rollback write the new key.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { encrypt } from '../../src/codec/aes-gcm.js';
import { parseKeyring, type Keyring } from '../../src/codec/keyring.js';
import { SecretSealer, type SealContext, type SealedSecret } from '../../src/codec/secret-sealer.js';
import type { RotationConfig } from '../../src/config/schema.js';
import { SealedSecretMismatchError } from '../../src/errors/rotator-errors.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

const secret = `sk-or-v1-${'5eed'.repeat(16)}`;
const keyring = parseKeyring(
  JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } }),
  't',
);
const sealer = new SecretSealer(keyring);
const contextA: SealContext = { purpose: 'new-key', rotation: 'team-a', workflowId: 'rotation-team-a' };

/** What a worker before sealed:v2 produced: bound to the codec key id only. */
function sealedV1(value: string, ring: Keyring = keyring): string {
  const keyId = ring.activeKeyId;
  const subkey = Buffer.from(
    hkdfSync(
      'sha256',
      ring.keys.get(keyId)!,
      Buffer.alloc(0),
      'openrouter-key-rotator/secret-sealing/v1',
      32,
    ),
  );
  return `sealed:v1:${keyId}:${encrypt(subkey, Buffer.from(value), Buffer.from(keyId)).toString('base64')}`;
}

function refusal(fn: () => unknown): SealedSecretMismatchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SealedSecretMismatchError);
    expect((err as SealedSecretMismatchError).retryable).toBe(false);
    expect((err as Error).message).not.toContain(secret.slice(9));
    return err as SealedSecretMismatchError;
  }
  throw new Error('expected a SealedSecretMismatchError');
}

describe('secret sealer: context binding', () => {
  it('opens a blob only in the context it was sealed in', () => {
    const sealed = sealer.seal(secret, contextA);
    expect(sealed).toMatch(/^sealed:v3:new-key:k1:/);
    expect(sealer.unseal(sealed, contextA)).toBe(secret);

    expect(refusal(() => sealer.unseal(sealed, { ...contextA, rotation: 'team-b' })).message).toMatch(
      /does not open as the new-key of rotation "team-b".*sealed for another rotation, workflow or run/,
    );
    refusal(() => sealer.unseal(sealed, { ...contextA, workflowId: 'rotation-team-a-2026-11-27T03:00:00Z' }));
    expect(refusal(() => sealer.unseal(sealed, { ...contextA, purpose: 'old-key' })).message).toMatch(
      /refusing a sealed new-key where the old-key .* is expected/,
    );
  });

  it('refuses a blob whose clear purpose label was swapped, or whose bytes were altered', () => {
    const sealed = sealer.seal(secret, contextA);
    refusal(() =>
      sealer.unseal(sealed.replace(':new-key:', ':old-key:'), { ...contextA, purpose: 'old-key' }),
    );
    const body = sealed.slice(sealed.lastIndexOf(':') + 1);
    const flipped = Buffer.from(body, 'base64');
    flipped[20]! ^= 1;
    refusal(() => sealer.unseal(sealed.replace(body, flipped.toString('base64')), contextA));
  });

  it('refuses sealed:v1 blobs, which are not bound to a rotation, with a message saying so', () => {
    expect(refusal(() => sealer.unseal(sealedV1(secret), contextA)).message).toMatch(
      /refusing a sealed:v1 key .* not bound to a rotation/,
    );
    refusal(() => sealer.unseal('not-sealed-at-all', contextA));
  });
});

describe('activities: a sealed key replayed into another rotation', () => {
  let h: RotationHarness;
  let activities: ReturnType<typeof createActivities>;
  let rotationA: RotationConfig;
  let rotationB: RotationConfig;
  let keyA: string;
  let keyB: string;
  const runA = new MockActivityEnvironment({
    workflowExecution: { workflowId: 'rotation-team-a', runId: 'run-a' },
  });
  const runB = new MockActivityEnvironment({
    workflowExecution: { workflowId: 'rotation-team-b', runId: 'run-b' },
  });

  beforeAll(async () => {
    h = await createRotationHarness();
    activities = createActivities(
      createDefaultDependencies({
        sealer: new SecretSealer(h.sealingKeyring),
        env: h.workerEnv,
        policy: h.policy,
      }),
    );
    keyA = (await h.adoptKey(['team-a.env'])).key;
    keyB = (await h.adoptKey(['team-b.env'])).key;
    rotationA = h.rotation('team-a', {}, ['team-a.env']);
    rotationB = h.rotation('team-b', {}, ['team-b.env']);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Runs an activity in a run's context, typed by the activity's own signature. */
  function inRun<P extends unknown[], R>(
    run: MockActivityEnvironment,
    activity: (...args: P) => Promise<R>,
    ...args: NoInfer<P>
  ): Promise<R> {
    return run.run(activity, ...args);
  }

  /** Runs an activity and returns the failure it raised, as Temporal sees it. */
  async function failureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    expect(failure.type).toBe('SealedSecretMismatchError');
    expect(failure.nonRetryable).toBe(true);
    return failure;
  }

  it('refuses rotation A’s old key as rotation B’s restore value, and B’s destination keeps its key', async () => {
    const { sealedCurrent } = await inRun(runA, activities.destinations.readDestinations, rotationA);
    expect(sealedCurrent).toMatch(/^sealed:v3:old-key:/);

    const failure = await failureOf(
      inRun(runB, activities.destinations.writeDestination, rotationB, 0, sealedCurrent!, 'restore'),
    );
    expect(failure.message).toMatch(/rotation "team-b" \(workflow rotation-team-b\)/);
    expect(await h.readKeyFrom('team-b.env')).toBe(keyB);
    // The same blob in its own rotation and workflow opens.
    await inRun(runA, activities.destinations.writeDestination, rotationA, 0, sealedCurrent!, 'restore');
    expect(await h.readKeyFrom('team-a.env')).toBe(keyA);
  });

  it('refuses a blob from an earlier run of the same rotation (another workflow id)', async () => {
    const { sealedCurrent } = await inRun(runA, activities.destinations.readDestinations, rotationA);
    const laterRun = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'rotation-team-a-2026-11-28T03:00:00Z', runId: 'run-a2' },
    });
    await failureOf(
      inRun(laterRun, activities.destinations.writeDestination, rotationA, 0, sealedCurrent!, 'restore'),
    );
    expect(await h.readKeyFrom('team-a.env')).toBe(keyA);
  });

  it('refuses a blob from an earlier run of the same rotation: same workflow id, another run token', async () => {
    // Every run of a rotation has the workflow id rotation-<name>; the run token tells them apart.
    const earlier = { runToken: '0f8fad5b-d9cb-469f-a165-70867728950e' };
    const later = { runToken: '7c9e6679-7425-40de-944b-e07fc1f90ae7' };
    const { sealedCurrent } = await inRun(runA, activities.destinations.readDestinations, rotationA, earlier);
    expect(sealedCurrent).toMatch(/^sealed:v4:old-key:/);
    const laterRun = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'rotation-team-a', runId: 'run-a3' },
    });
    const failure = await failureOf(
      inRun(
        laterRun,
        activities.destinations.writeDestination,
        rotationA,
        0,
        sealedCurrent!,
        'restore',
        later,
      ),
    );
    expect(failure.message).toMatch(/run 7c9e6679-/);
    // Nor without a token (as a run before the run token would ask): a v4 blob never opens as v3.
    await failureOf(
      inRun(laterRun, activities.destinations.writeDestination, rotationA, 0, sealedCurrent!, 'restore'),
    );
    expect(await h.readKeyFrom('team-a.env')).toBe(keyA);
    await inRun(
      laterRun,
      activities.destinations.writeDestination,
      rotationA,
      0,
      sealedCurrent!,
      'restore',
      earlier,
    );
    expect(await h.readKeyFrom('team-a.env')).toBe(keyA);
  });

  it('never feeds a rollback the new key, nor a store the old key', async () => {
    const created = await inRun(runA, activities.openRouter.createKey, rotationA, {
      keyName: 'key-rotator team-a test',
      expiresAt: null,
    });
    const { sealedCurrent } = await inRun(runA, activities.destinations.readDestinations, rotationA);
    expect(created.sealedKey).toMatch(/^sealed:v3:new-key:/);

    await failureOf(
      inRun(runA, activities.destinations.writeDestination, rotationA, 0, created.sealedKey, 'restore'),
    );
    await failureOf(
      inRun(runA, activities.destinations.writeDestination, rotationA, 0, sealedCurrent!, 'store'),
    );
    expect(await h.readKeyFrom('team-a.env')).toBe(keyA);

    // Rotation B's verify step is not a way to test rotation A's key against OpenRouter.
    const requestsBefore = h.emulator.snapshot().requests.length;
    await failureOf(
      inRun(runB, activities.openRouter.verifyNewKey, rotationB, {
        sealedKey: created.sealedKey,
        windowMs: 1_000,
      }),
    );
    expect(h.emulator.snapshot().requests.slice(requestsBefore)).toEqual([]);

    // Where it belongs, the new key is stored and verifies.
    await inRun(runA, activities.destinations.writeDestination, rotationA, 0, created.sealedKey, 'store');
    expect(await h.readKeyFrom('team-a.env')).not.toBe(keyA);
    await inRun(runA, activities.openRouter.verifyNewKey, rotationA, {
      sealedKey: created.sealedKey,
      windowMs: 1_000,
    });
  });

  it('refuses a sealed:v1 blob from a worker before this change', async () => {
    const legacy = sealedV1(keyA, h.keyring) as SealedSecret;
    const failure = await failureOf(
      inRun(runA, activities.destinations.writeDestination, rotationA, 0, legacy, 'restore'),
    );
    expect(failure.message).toMatch(/sealed:v1/);
  });
});
