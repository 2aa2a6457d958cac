/**
 * One rotation of one managed key: preflight → create → store → grace → verify → delete.
 *
 * Invariant: at every instant each destination holds a key that works. Before the switch (until
 * verification passes) any failure is undone: destinations are restored to the old key and the
 * new key is deleted. After the switch the old key is deleted only once every destination is
 * confirmed to hand out the new one.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { CreatedKeyInfo, WrittenVersion } from '../activities/activity-types.js';
import { parseDuration } from '../config/duration.js';
import { rotationActivities } from './activity-options.js';
import { Compensations, deleteNewKey, restoreDestination } from './compensations.js';
import { holdUntilTrafficMoved, planTrafficCheck, waitOutGrace, type UsageOf } from './grace-and-hold.js';
import { expiryBackstop, keyNameForRun } from './key-settings.js';
import type { RotationInput, RotationResult } from './messages.js';
import { notDueBecause, preflight, type OldKey } from './old-key.js';
import { reasonOf, rotationFailure } from './rotation-failures.js';
import { RotationState } from './rotation-state.js';

export async function rotationWorkflow(input: RotationInput): Promise<RotationResult> {
  const { rotation } = input;
  const options = input.options ?? {};
  const info = workflowInfo();
  const graceMs = parseDuration(options.grace ?? rotation.gracePeriod);
  const activities = rotationActivities(info.taskQueue);
  const { openRouter, destinations, verifier, persistentOpenRouter, persistentDestinations } = activities;
  const usageOf: UsageOf = (hashes) => openRouter.keyUsage(rotation, hashes);
  const state = new RotationState(rotation.name, options);
  state.begin();

  // ── preflight: the management key works, the old key is the one OpenRouter confirms ──────────
  state.enterStep('preflight');
  let old: OldKey;
  try {
    old = await preflight(rotation, activities, state);
  } catch (err) {
    state.fail(err);
    throw rotationFailure(`preflight failed, nothing was changed: ${reasonOf(err)}`, err);
  }
  const { oldKey, sealedOldKey } = old;

  if (oldKey) state.reportKeyAge(oldKey.createdAt);
  const notDue = options.onlyIfDue && oldKey ? notDueBecause(rotation, oldKey) : undefined;
  if (oldKey && notDue) {
    state.finish('skipped', 'skipped');
    return state.result('skipped', { lastRotatedAt: oldKey.createdAt, skippedBecause: notDue });
  }
  const trafficCheck = planTrafficCheck(rotation, oldKey, graceMs, state);

  // ── create → store → grace → verify, undone on any failure ─────────────────────────────────
  const saga = new Compensations();
  let newKey: CreatedKeyInfo;
  let versions: WrittenVersion[];
  let oldUsageBeforeQuiet: number | null;
  try {
    await state.whenNotPaused();
    state.enterStep('create');
    state.metrics.started.add(1);
    newKey = await openRouter.createKey(rotation, {
      keyName: keyNameForRun(rotation, info.runId),
      expiresAt: expiryBackstop(rotation, graceMs),
    });
    state.newKeyCreated(newKey);
    saga.add(deleteNewKey(rotation, newKey, activities));

    await state.whenNotPaused();
    state.enterStep('store');
    for (const index of rotation.destinations.keys()) {
      // Registered before the write: a write whose reply was lost may still have happened.
      saga.add(restoreDestination(rotation, index, sealedOldKey, newKey, activities));
      await destinations.writeDestination(rotation, index, newKey.sealedKey, 'store');
    }

    await state.whenNotPaused();
    state.enterStep('grace');
    oldUsageBeforeQuiet = await waitOutGrace(state, graceMs, trafficCheck, usageOf);

    await state.whenNotPaused();
    state.enterStep('verify');
    await verifier.verifyNewKey(rotation, {
      sealedKey: newKey.sealedKey,
      windowMs: parseDuration(rotation.verify.newKeyWindow),
    });
    versions = await destinations.verifyDestinations(rotation, newKey.hash);
  } catch (err) {
    state.recordError(err);
    const failedStep = state.status.step;
    state.enterStep('rollback');
    const problems = await saga.rollBack();
    if (problems.length > 0) {
      state.fail(err);
      throw rotationFailure(
        `rotation failed at step ${failedStep} (${reasonOf(err)}) and could not be fully undone: ${problems.join('; ')}. ` +
          'The new key was kept so that every destination still holds a working key; fix the destinations and rerun.',
        err,
      );
    }
    state.fail(err, 'rolled-back');
    const undone = saga.isEmpty
      ? 'nothing had been changed'
      : 'destinations hold the old key again, the new key was deleted';
    throw rotationFailure(
      `rotation failed at step ${failedStep} and was rolled back (${undone}): ${reasonOf(err)}`,
      err,
    );
  }

  // ── hold until traffic has moved: after the switch, so it never rolls back (consumers may be
  //    on either key); a timeout fails with both keys kept ─────────────────────────────────────
  if (trafficCheck) {
    try {
      await holdUntilTrafficMoved(rotation, state, trafficCheck, oldUsageBeforeQuiet, newKey, usageOf);
    } catch (err) {
      state.fail(err);
      throw rotationFailure(
        `${reasonOf(err)}. Both keys were kept: every destination hands out the new key ${newKey.label}, ` +
          `and something still uses the old key ${trafficCheck.old.label}. Find it, then delete the old key at OpenRouter.`,
        err,
      );
    }
  }

  // ── delete the old key: the switch is done, every destination hands out the new key ─────────
  let oldKeyDeleted = false;
  if (oldKey) {
    await state.whenNotPaused();
    state.enterStep('delete');
    try {
      await persistentDestinations.verifyDestinations(rotation, newKey.hash);
      await persistentOpenRouter.deleteKey(rotation, oldKey.hash);
      oldKeyDeleted = true;
    } catch (err) {
      state.fail(err);
      throw rotationFailure(
        `the new key ${newKey.label} is active in every destination, but the old key ${oldKey.label} was NOT deleted: ` +
          `${reasonOf(err)}. Delete it at OpenRouter once the cause is fixed.`,
        err,
      );
    }
  }

  state.finish('succeeded', 'done');
  state.reportKeyAge(newKey.createdAt);
  return state.result('succeeded', {
    newKey: {
      hash: newKey.hash,
      label: newKey.label,
      createdAt: newKey.createdAt,
      expiresAt: newKey.expiresAt,
    },
    ...(oldKey ? { oldKeyHash: oldKey.hash, oldKeyDeleted } : {}),
    destinations: versions,
    lastRotatedAt: newKey.createdAt,
  });
}
