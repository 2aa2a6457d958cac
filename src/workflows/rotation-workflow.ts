/**
 * One rotation of one managed key: preflight → create → carry over → store → grace → verify →
 * delete.
 *
 * Invariant: at every instant each destination holds a key that works. Before the switch (until
 * verification passes) any failure is undone: destinations are restored to the old key and the
 * new key is deleted. After the switch the old key is deleted only once every destination is
 * confirmed to hand out the new one.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { CreatedKeyInfo, WrittenVersion } from '../activities/activity-types.js';
import type { CarryOverPlan } from '../workflow-contract/carry-over-plan.js';
import { durationsOf, type RotationDurations } from '../config/rotation-durations.js';
import { rotationActivities } from './activity-options.js';
import {
  CARRY_OVER_PATCH,
  carryOverToNewKey,
  createdLike,
  hasAttachments,
  planCarryOver,
  releaseOldKey,
} from './carry-over.js';
import {
  Compensations,
  deleteKeysOfRun,
  deleteNewKey,
  restoreDestination,
  UNDO_LOST_CREATES_PATCH,
} from './compensations.js';
import {
  holdUntilTrafficMoved,
  planTrafficCheck,
  waitOutGrace,
  type TrafficReading,
  type UsageOf,
} from './grace-and-hold.js';
import { expiryBackstop, keyNameForRun } from '../workflow-contract/key-settings.js';
import {
  KEY_EXPIRING_WITHIN_MS,
  LIFECYCLE_EVENTS_PATCH,
  LifecycleEvents,
  RESET_SAFE_EVENT_IDS_PATCH,
} from './lifecycle-events.js';
import type { RotationInput, RotationResult } from '../workflow-contract/messages.js';
import { notDueBecause, preflight, type OldKey } from './old-key.js';
import { reasonOf, rotationFailure } from './rotation-failures.js';
import { RotationState, type FinalOutcome, type RotationObserver } from './rotation-state.js';
import { retirePreviousVersions } from './retire-previous.js';
import { recordedOutcome, recordOutcomeOnSchedule } from './schedule-outcome.js';
import { drawRunToken, runBinding } from './run-token.js';

/** The event each way a rotation can end is reported with. */
const FINAL_EVENT = {
  succeeded: 'rotation.succeeded',
  skipped: 'rotation.skipped',
  failed: 'rotation.failed',
  'rolled-back': 'rotation.rolled_back',
} as const satisfies Record<FinalOutcome, string>;

export async function rotationWorkflow(input: RotationInput): Promise<RotationResult> {
  // Before any other command, so that it is recorded at the same place in every new history.
  const emitting = patched(LIFECYCLE_EVENTS_PATCH);
  const resetSafeEventIds = patched(RESET_SAFE_EVENT_IDS_PATCH);
  // In the first workflow task, before anything else draws from the workflow's randomness.
  const runToken = drawRunToken();
  let skippedBecause: string | undefined;
  const events = new LifecycleEvents(input.rotation, () => state.status, emitting, resetSafeEventIds);
  const observer: RotationObserver = {
    paused: (pauseReason) => events.emit('rotation.paused', pauseReason ? { pauseReason } : {}),
    resumed: () => events.emit('rotation.resumed'),
    held: () => events.emit('rotation.held'),
    finished: (outcome) =>
      events.emit(FINAL_EVENT[outcome], {
        ...(state.status.lastError && outcome !== 'succeeded' ? { error: state.status.lastError } : {}),
        ...(skippedBecause ? { skippedBecause } : {}),
      }),
  };
  const state = new RotationState(input.rotation.name, input.options ?? {}, observer);
  let result: RotationResult | undefined;
  try {
    return (result = await rotate(input, state, events, runToken, (because) => (skippedBecause = because)));
  } finally {
    // Handed over, not delivered: delivery runs on its own and never holds the rotation up.
    await events.handedOver();
    // Where `list` reads the last outcome and active key from (best effort, see schedule-outcome.ts).
    const { name } = input.rotation;
    await recordOutcomeOnSchedule(recordedOutcome(name, state.status.outcome, state.status.reason, result));
  }
}

async function rotate(
  input: RotationInput,
  state: RotationState,
  events: LifecycleEvents,
  runToken: string | undefined,
  skipping: (because: string) => void,
): Promise<RotationResult> {
  const { rotation } = input;
  const options = input.options ?? {};
  const info = workflowInfo();
  const activities = rotationActivities(info.taskQueue);
  const { openRouter, destinations, verifier, persistentOpenRouter, persistentDestinations } = activities;
  // The carry-over adds activity calls and a step to a run. A history recorded before it has
  // none, so there patched() is false and the run replays its old command sequence (see
  // test/rotation-replay.test.ts); every new run records the marker and carries over.
  const carryingOver = patched(CARRY_OVER_PATCH);
  // Runs recorded before it registered the create's undo after the create returned, which missed
  // keys made by creates whose answer was lost; they replay that way.
  const undoingLostCreates = patched(UNDO_LOST_CREATES_PATCH);
  const run = runBinding(runToken);
  state.begin();

  // ── preflight: the management key works, the old key is the one OpenRouter confirms, and what
  //    it carries (workspace, guardrail, allow-lists) can be read ─────────────────────────────
  state.enterStep('preflight');
  let old: OldKey;
  let durations: RotationDurations;
  let carryOver: CarryOverPlan | undefined;
  try {
    old = await preflight(rotation, activities, state, run);
    // Parsed once, here: preflight's activities have checked the rotation (its durations too).
    durations = durationsOf(rotation, options.grace);
    if (old.oldKey) {
      reportActiveKey(rotation, old.oldKey, durations.graceMs, state);
      events.oldKey(old.oldKey);
      const expiresAt = old.oldKey.expiresAt;
      if (expiresAt && Date.parse(expiresAt) - Date.now() < KEY_EXPIRING_WITHIN_MS)
        events.emit('key.expiring', { expiresAt });
    }
    const notDue = options.onlyIfDue && old.oldKey ? notDueBecause(rotation, old.oldKey) : undefined;
    if (old.oldKey && notDue) {
      skipping(notDue);
      state.finish('skipped', 'skipped');
      return state.result('skipped', { lastRotatedAt: old.oldKey.createdAt, skippedBecause: notDue });
    }
    if (carryingOver) carryOver = await planCarryOver(rotation, old.oldKey, activities, state);
  } catch (err) {
    state.fail(err);
    throw rotationFailure(`preflight failed, nothing was changed: ${reasonOf(err)}`, err);
  }
  const { oldKey, sealedOldKey } = old;
  const { graceMs } = durations;
  const trafficCheck = planTrafficCheck(rotation, oldKey, durations, state);
  const usageOf: UsageOf = (hashes) =>
    openRouter.keyUsage(rotation, hashes, trafficCheck ? { requestsSince: trafficCheck.requestsSince } : {});

  // ── create → store → grace → verify, undone on any failure ─────────────────────────────────
  const saga = new Compensations();
  let newKey: CreatedKeyInfo;
  let versions: WrittenVersion[];
  let oldTrafficBeforeQuiet: TrafficReading | null;
  try {
    await state.whenNotPaused();
    state.enterStep('create');
    state.metrics.started.add(1);
    events.emit('rotation.started');
    const createInput = {
      // Runs before the run token named their keys after the run id (which a reset changes).
      keyName: keyNameForRun(rotation, runToken ?? info.runId),
      expiresAt: expiryBackstop(rotation, durations),
      ...(carryOver ? createdLike(carryOver) : {}),
      ...run,
    };
    let created: CreatedKeyInfo | undefined;
    // Registered before the create: an attempt whose answer was lost may still have made a key.
    if (undoingLostCreates) {
      const { keyName, workspaceId } = createInput;
      const ofRun = { keyName, ...(workspaceId ? { workspaceId } : {}), ...run };
      saga.add(deleteKeysOfRun(rotation, ofRun, () => created, activities));
    }
    newKey = created = await openRouter.createKey(rotation, createInput);
    state.newKeyCreated(newKey);
    events.newKey(newKey);
    if (!undoingLostCreates) saga.add(deleteNewKey(rotation, newKey, run, activities));

    if (carryOver && hasAttachments(carryOver)) {
      await state.whenNotPaused();
      state.enterStep('carry-over');
      await carryOverToNewKey(rotation, carryOver, newKey, activities, saga);
    }

    await state.whenNotPaused();
    state.enterStep('store');
    for (const index of rotation.destinations.keys()) {
      // Registered before the write: a write whose reply was lost may still have happened.
      saga.add(restoreDestination(rotation, index, sealedOldKey, newKey, run, activities));
      await destinations.writeDestination(rotation, index, newKey.sealedKey, 'store', run);
    }

    await state.whenNotPaused();
    state.enterStep('grace');
    oldTrafficBeforeQuiet = await waitOutGrace(state, graceMs, trafficCheck, usageOf);

    await state.whenNotPaused();
    state.enterStep('verify');
    await verifier.verifyNewKey(rotation, {
      sealedKey: newKey.sealedKey,
      windowMs: durations.newKeyWindowMs,
      ...run,
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
          (saga.keptNewKey
            ? 'The new key was kept so that every destination still holds a working key; fix the destinations and rerun.'
            : 'Fix the cause and rerun; `key-rotator sweep -f FILE` finds keys this run left that no destination holds.'),
        err,
      );
    }
    state.fail(err, 'rolled-back');
    throw rotationFailure(
      `rotation failed at step ${failedStep} and was rolled back (${saga.undoneSummary}): ${reasonOf(err)}`,
      err,
    );
  }

  // ── hold until traffic has moved: after the switch, so it never rolls back (consumers may be
  //    on either key); a timeout fails with both keys kept ─────────────────────────────────────
  if (trafficCheck) {
    try {
      await holdUntilTrafficMoved(rotation, state, trafficCheck, oldTrafficBeforeQuiet, newKey, usageOf);
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
      // The sealed old key is this run's proof that it read (and preflight confirmed) that key.
      await persistentOpenRouter.deleteKey(rotation, oldKey.hash, {
        ...run,
        ...(sealedOldKey ? { sealedOldKey } : {}),
      });
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

  // ── release the old key's hash from the allow-lists: only now that it is gone ──────────────────
  if (carryOver && oldKey && oldKeyDeleted)
    await releaseOldKey(rotation, carryOver, oldKey, activities, state);

  // ── retire the destinations' versions that hold the deleted key (best effort) ─────────────────
  if (oldKeyDeleted) await retirePreviousVersions(rotation, sealedOldKey, run, activities, state);

  state.finish('succeeded', 'done');
  reportActiveKey(rotation, newKey, graceMs, state);
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

/** The active key's age, the age it may reach and the time left until its expiry backstop, as gauges. */
function reportActiveKey(
  rotation: RotationInput['rotation'],
  key: { createdAt: string; expiresAt?: string | null },
  graceMs: number,
  state: RotationState,
): void {
  state.reportKeyAge(key.createdAt);
  state.metrics.keyMaxAge.set(rotation.schedule.intervalDays * 86_400 + graceMs / 1000);
  if (key.expiresAt)
    state.metrics.keyExpiresIn.set(Math.max(0, (Date.parse(key.expiresAt) - Date.now()) / 1000));
}
