/**
 * One rotation of one managed key: preflight → create → store → grace → verify → delete.
 *
 * Invariant: at every instant each destination holds a key that works. Before the switch (until
 * verification passes) any failure is undone: destinations are restored to the old key and the
 * new key is deleted. After the switch the old key is deleted only once every destination is
 * confirmed to hand out the new one.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DestinationActivities, OpenRouterActivities } from '../activities/index.js';
import type {
  CreatedKeyInfo,
  DestinationsSnapshot,
  KeyInfo,
  WrittenVersion,
} from '../activities/activity-types.js';
import type { SealedSecret } from '../codec/secret-sealer.js';
import { parseDuration } from '../config/duration.js';
import { isRotationDue } from '../config/rotation-due.js';
import { rotationMetrics } from './rotation-metrics.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../errors.js';
import {
  endGraceSignal,
  endGraceUpdate,
  openRouterTaskQueue,
  pauseSignal,
  resumeSignal,
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationStepKey,
  statusQuery,
  type RotationInput,
  type RotationResult,
  type RotationStatus,
  type RotationStep,
} from './messages.js';

/** Margin added to interval + grace for the `expiresAfter: auto` backstop. */
const EXPIRY_MARGIN_MS = 7 * 86_400_000;
/** Longest window in which the old key's usage must stand still; also the longest hold re-check. */
const MAX_QUIET_WINDOW_MS = 10 * 60_000;
/** Shortest interval between usage checks while holding. */
const MIN_TRAFFIC_RECHECK_MS = 5_000;

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

/** The activities with their failure model, next to each other so a reader sees both. */
function activityProxies(rotationTaskQueue: string) {
  const apiQueue = openRouterTaskQueue(rotationTaskQueue);
  // Steps before the switch: bounded retries, so a broken setup fails (and rolls back) in minutes.
  // Activities heartbeat every 5 s (see failure-mapping.ts): a dead worker is noticed in 20 s.
  const bounded = {
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '20s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes,
    },
  } as const;
  // Undo and the final delete must not give up on a transient outage: they keep trying for a day.
  const persistent = {
    startToCloseTimeout: '1 minute',
    heartbeatTimeout: '20s',
    scheduleToCloseTimeout: '1 day',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '5 minutes',
      nonRetryableErrorTypes,
    },
  } as const;
  return {
    openRouter: proxyActivities<OpenRouterActivities>({ ...bounded, taskQueue: apiQueue }),
    destinations: proxyActivities<DestinationActivities>(bounded),
    // Verifying a fresh key polls through its 401 window; heartbeats show it is alive.
    verifier: proxyActivities<OpenRouterActivities>({
      taskQueue: apiQueue,
      startToCloseTimeout: '30 minutes',
      heartbeatTimeout: '30s',
      retry: {
        initialInterval: '1s',
        maximumInterval: '1 minute',
        maximumAttempts: 5,
        nonRetryableErrorTypes,
      },
    }),
    persistentOpenRouter: proxyActivities<OpenRouterActivities>({ ...persistent, taskQueue: apiQueue }),
    persistentDestinations: proxyActivities<DestinationActivities>(persistent),
  };
}

interface Compensation {
  what: string;
  undo(): Promise<void>;
}

export async function rotationWorkflow(input: RotationInput): Promise<RotationResult> {
  const { rotation } = input;
  const options = input.options ?? {};
  const info = workflowInfo();
  const startedAt = new Date().toISOString();
  const graceMs = parseDuration(options.grace ?? rotation.gracePeriod);
  const { openRouter, destinations, verifier, persistentOpenRouter, persistentDestinations } =
    activityProxies(info.taskQueue);
  const metrics = rotationMetrics(rotation.name);

  const status: RotationStatus = {
    rotation: rotation.name,
    step: 'starting',
    outcome: 'running',
    paused: false,
    reason: options.reason ?? 'manual',
    ...(options.note ? { note: options.note } : {}),
    steps: [],
    warnings: [],
  };
  let endGraceRequested = false;

  setHandler(statusQuery, () => status);
  setHandler(pauseSignal, (reason?: string) => {
    status.paused = true;
    status.pauseReason = reason;
  });
  setHandler(resumeSignal, () => {
    status.paused = false;
    status.pauseReason = undefined;
  });
  setHandler(endGraceSignal, () => {
    endGraceRequested = true;
  });
  setHandler(endGraceUpdate, () => {
    endGraceRequested = true;
    return status;
  });

  const warn = (message: string) => {
    status.warnings.push(message);
    log.warn(message, { rotation: rotation.name });
  };

  /** A paused rotation waits here, before its next step. */
  const whenNotPaused = async () => {
    if (status.paused) {
      log.info('rotation paused; waiting for resume', { rotation: rotation.name, step: status.step });
      await condition(() => !status.paused);
    }
  };

  const enterStep = (step: RotationStep) => {
    const now = new Date().toISOString();
    const previous = status.steps.at(-1);
    if (previous && !previous.endedAt) previous.endedAt = now;
    status.step = step;
    status.steps.push({ step, startedAt: now });
    upsertSearchAttributes([{ key: rotationStepKey, value: step }]);
  };

  const finish = (outcome: 'succeeded' | 'skipped' | 'rolled-back' | 'failed', step: RotationStep) => {
    enterStep(step);
    status.steps.at(-1)!.endedAt = status.steps.at(-1)!.startedAt;
    status.outcome = outcome;
    upsertSearchAttributes([{ key: rotationOutcomeKey, value: outcome }]);
    if (outcome === 'succeeded') metrics.succeeded.add(1);
    if (outcome === 'failed' || outcome === 'rolled-back') metrics.failed.add(1);
    if (outcome === 'rolled-back') metrics.rolledBack.add(1);
  };

  upsertSearchAttributes([{ key: rotationOutcomeKey, value: 'running' }]);

  // ── preflight ──────────────────────────────────────────────────────────────────────────────
  enterStep('preflight');
  let oldKey: KeyInfo | undefined;
  let sealedOldKey: SealedSecret | undefined;
  try {
    await openRouter.checkManagementKey(rotation);
    const snapshot = await destinations.readDestinations(rotation);
    ({ oldKey, sealedOldKey } = await identifyOldKey(snapshot));
  } catch (err) {
    status.lastError = messageOf(err);
    finish('failed', 'failed');
    throw failure(`preflight failed, nothing was changed: ${messageOf(err)}`, err);
  }

  if (oldKey) metrics.keyAge.set(Math.max(0, (Date.now() - Date.parse(oldKey.createdAt)) / 1000));
  if (options.onlyIfDue && oldKey) {
    const due = isRotationDue({
      lastRotatedAt: oldKey.createdAt,
      now: new Date().toISOString(),
      intervalDays: rotation.schedule.intervalDays,
      timezone: rotation.schedule.timezone,
    });
    if (!due) {
      finish('skipped', 'skipped');
      return result('skipped', {
        lastRotatedAt: oldKey.createdAt,
        skippedBecause: `the active key ${oldKey.label} was created ${oldKey.createdAt}, less than ${rotation.schedule.intervalDays} day(s) ago`,
      });
    }
  }

  // With requireTrafficMoved, the last part of the grace period (half, at most 10 min) is the
  // window in which the old key's usage must stand still. An emergency `--grace 0` skips it.
  let trafficCheck: { old: KeyInfo; quietMs: number; oldUsage: number | null } | undefined;
  if (rotation.verify.requireTrafficMoved && oldKey) {
    if (graceMs > 0)
      trafficCheck = { old: oldKey, quietMs: Math.min(graceMs / 2, MAX_QUIET_WINDOW_MS), oldUsage: null };
    else
      warn(
        'grace period 0: the traffic-moved check is skipped, the old key is revoked right after verification',
      );
  }

  // ── create → store → grace → verify, undone on any failure ─────────────────────────────────
  const compensations: Compensation[] = [];
  let created: CreatedKeyInfo;
  let versions: WrittenVersion[];
  try {
    await whenNotPaused();
    enterStep('create');
    metrics.started.add(1);
    created = await openRouter.createKey(rotation, { keyName: keyNameForRun(), expiresAt: expiryBackstop() });
    status.newKeyLabel = created.label;
    status.newKeyHash = created.hash;
    upsertSearchAttributes([{ key: rotationNewKeyLabelKey, value: created.label }]);
    if (!created.hashIsSha256OfKey) {
      warn(
        `OpenRouter's hash of the new key ${created.label} is not sha256 of the key: the next rotation will not ` +
          'be able to confirm it as the active key. Please report this (OpenRouter changed its hash form).',
      );
    }
    if (created.removedOrphans > 0) {
      warn(
        `deleted ${created.removedOrphans} key(s) left by an earlier attempt whose create response was lost`,
      );
    }
    const newKey = created;
    compensations.unshift({
      what: `delete new key ${newKey.label}`,
      undo: async () => void (await persistentOpenRouter.deleteKey(rotation, newKey.hash)),
    });

    await whenNotPaused();
    enterStep('store');
    for (const [index, destination] of rotation.destinations.entries()) {
      // Registered before the write: a write whose reply was lost may still have happened.
      const restoreValue = sealedOldKey;
      compensations.unshift({
        what: `restore destination #${index + 1} (${destination.type})`,
        undo: async () => {
          if (!restoreValue) {
            // A first rotation has no old key to put back: a destination that got the new key
            // keeps it, and the new key must then stay alive.
            const { readings } = await persistentDestinations.readDestinations(rotation);
            if (readings[index]?.hash === newKey.hash)
              throw new Error('it held no key before, so it keeps the new one');
            return;
          }
          await persistentDestinations.writeDestination(rotation, index, restoreValue, 'restore');
        },
      });
      await destinations.writeDestination(rotation, index, newKey.sealedKey, 'store');
    }

    await whenNotPaused();
    enterStep('grace');
    const endsAt = Date.now() + graceMs;
    if (trafficCheck) {
      // Sample the old key's usage before the last part of the grace period, to see it stop.
      await graceUntil(endsAt - trafficCheck.quietMs, endsAt);
      trafficCheck.oldUsage =
        (await openRouter.keyUsage(rotation, [trafficCheck.old.hash]))[0]?.usage ?? null;
    }
    await graceUntil(endsAt, endsAt);

    await whenNotPaused();
    enterStep('verify');
    await verifier.verifyNewKey(rotation, {
      sealedKey: newKey.sealedKey,
      windowMs: parseDuration(rotation.verify.newKeyWindow),
    });
    versions = await destinations.verifyDestinations(rotation, newKey.hash);
  } catch (err) {
    status.lastError = messageOf(err);
    const failedStep = status.step;
    enterStep('rollback');
    const problems = await CancellationScope.nonCancellable(() => rollBack(compensations));
    if (problems.length > 0) {
      finish('failed', 'failed');
      throw failure(
        `rotation failed at step ${failedStep} (${messageOf(err)}) and could not be fully undone: ${problems.join('; ')}. ` +
          'The new key was kept so that every destination still holds a working key; fix the destinations and rerun.',
        err,
      );
    }
    finish('rolled-back', 'failed');
    const undone =
      compensations.length === 0
        ? 'nothing had been changed'
        : 'destinations hold the old key again, the new key was deleted';
    throw failure(
      `rotation failed at step ${failedStep} and was rolled back (${undone}): ${messageOf(err)}`,
      err,
    );
  }

  // ── hold until traffic has moved: after the switch, so it never rolls back (consumers may be
  //    on either key); a timeout fails with both keys kept ─────────────────────────────────────
  if (trafficCheck) {
    try {
      await waitForTrafficToMove(trafficCheck.old, created, trafficCheck.oldUsage, trafficCheck.quietMs);
    } catch (err) {
      status.lastError = messageOf(err);
      finish('failed', 'failed');
      throw failure(
        `${messageOf(err)}. Both keys were kept: every destination hands out the new key ${created.label}, ` +
          `and something still uses the old key ${trafficCheck.old.label}. Find it, then delete the old key at OpenRouter.`,
        err,
      );
    }
  }

  // ── delete the old key: the switch is done, every destination hands out the new key ─────────
  let oldKeyDeleted = false;
  if (oldKey) {
    await whenNotPaused();
    enterStep('delete');
    try {
      await persistentDestinations.verifyDestinations(rotation, created.hash);
      await persistentOpenRouter.deleteKey(rotation, oldKey.hash);
      oldKeyDeleted = true;
    } catch (err) {
      status.lastError = messageOf(err);
      finish('failed', 'failed');
      throw failure(
        `the new key ${created.label} is active in every destination, but the old key ${oldKey.label} was NOT deleted: ` +
          `${messageOf(err)}. Delete it at OpenRouter once the cause is fixed.`,
        err,
      );
    }
  }

  finish('succeeded', 'done');
  metrics.keyAge.set(Math.max(0, (Date.now() - Date.parse(created.createdAt)) / 1000));
  return result('succeeded', {
    newKey: {
      hash: created.hash,
      label: created.label,
      createdAt: created.createdAt,
      expiresAt: created.expiresAt,
    },
    ...(oldKey ? { oldKeyHash: oldKey.hash, oldKeyDeleted } : {}),
    destinations: versions,
    lastRotatedAt: created.createdAt,
  });

  // ── the steps' helpers ─────────────────────────────────────────────────────────────────────

  /**
   * The old key is the one the destinations hold now. Destinations that disagree, or a key that
   * OpenRouter does not confirm (hash + label), stop the rotation before anything is created.
   */
  async function identifyOldKey(
    snapshot: DestinationsSnapshot,
  ): Promise<{ oldKey?: KeyInfo; sealedOldKey?: SealedSecret }> {
    const present = snapshot.readings.filter((r) => r.present);
    const hashes = new Set(present.map((r) => r.hash));
    if (hashes.size > 1) {
      throw ApplicationFailure.nonRetryable(
        `destinations disagree about the current key (${present.map((r) => `${r.destination} holds ${r.label}`).join(', ')}); ` +
          'make them hold the same key, then rotate',
        'OldKeyUnconfirmedError',
      );
    }
    const first = present[0];
    if (!first?.hash || !snapshot.sealedCurrent) {
      warn('no destination holds a key yet: this first rotation only creates and stores one');
      return {};
    }
    for (const missing of snapshot.readings.filter((r) => !r.present)) {
      warn(`${missing.destination} holds no key yet; it will receive the new one`);
    }
    const known = await openRouter.describeKey(rotation, first.hash);
    if (!known || known.label !== first.label) {
      throw ApplicationFailure.nonRetryable(
        `the key in the destinations (${first.label}) is not a key of this OpenRouter account` +
          `${known ? ` (label mismatch: OpenRouter says ${known.label})` : ''}; ` +
          'nothing was created or deleted. Check the management key and workspace, or put a key of this account in the destinations',
        'OldKeyUnconfirmedError',
      );
    }
    if (known.disabled)
      warn(`the current key ${known.label} is disabled at OpenRouter; rotating replaces it`);
    status.oldKeyLabel = known.label;
    return { oldKey: known, sealedOldKey: snapshot.sealedCurrent };
  }

  /**
   * The grace period until `untilMs`: a durable timer that a pause stretches (a paused rotation
   * does not move on, even past the timer) and `endGrace` cuts short.
   */
  async function graceUntil(untilMs: number, endsAt: number): Promise<void> {
    status.graceEndsAt = new Date(endsAt).toISOString();
    while (!endGraceRequested) {
      if (status.paused) {
        await condition(() => !status.paused || endGraceRequested);
        continue;
      }
      const remaining = untilMs - Date.now();
      if (remaining <= 0) break;
      await condition(() => status.paused || endGraceRequested, remaining);
    }
    if (untilMs >= endsAt || endGraceRequested) status.graceEndsAt = undefined;
  }

  /**
   * The new key must show usage and the old key's usage must have stopped growing. Until then
   * both keys stay live (hold) and the check repeats; `endGrace` overrides, the deadline fails.
   */
  async function waitForTrafficToMove(
    old: KeyInfo,
    fresh: CreatedKeyInfo,
    oldUsageBefore: number | null,
    quietMs: number,
  ): Promise<void> {
    const deadline = Date.now() + parseDuration(rotation.verify.trafficHoldTimeout);
    const recheckMs = Math.min(Math.max(quietMs, MIN_TRAFFIC_RECHECK_MS), MAX_QUIET_WINDOW_MS);
    let previousOld = oldUsageBefore;
    endGraceRequested = false;
    for (;;) {
      const [oldUsage, newUsage] = await openRouter.keyUsage(rotation, [old.hash, fresh.hash]);
      const oldStopped = previousOld !== null && oldUsage?.usage === previousOld;
      const newUsed = (newUsage?.usage ?? 0) > 0;
      if (oldStopped && newUsed) return;
      if (status.step !== 'hold') {
        enterStep('hold');
        warn(
          `holding: traffic has not moved yet (new key ${newUsed ? 'is' : 'is not'} in use, old key ` +
            `${oldStopped ? 'is idle' : 'is still in use'}); both keys stay live. Send endGrace to delete anyway.`,
        );
      }
      previousOld = oldUsage?.usage ?? null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw ApplicationFailure.nonRetryable(
          `traffic did not move to the new key within ${rotation.verify.trafficHoldTimeout}`,
          'VerificationError',
        );
      }
      if (await condition(() => endGraceRequested, Math.min(recheckMs, remaining))) {
        warn('hold ended by an operator: deleting the old key although traffic had not moved');
        return;
      }
      await whenNotPaused();
    }
  }

  /** Runs the undo steps newest first. A failed restore keeps the new key alive (it is in use). */
  async function rollBack(steps: Compensation[]): Promise<string[]> {
    const problems: string[] = [];
    for (const step of steps) {
      if (step.what.startsWith('delete new key') && problems.length > 0) {
        problems.push(`kept the new key because a destination may still hand it out`);
        continue;
      }
      try {
        await step.undo();
      } catch (err) {
        if (isCancellation(err)) throw err;
        problems.push(`${step.what}: ${messageOf(err)}`);
      }
    }
    return problems;
  }

  function keyNameForRun(): string {
    return `${rotation.openrouter.key.name} (key-rotator ${rotation.name} ${info.runId.slice(0, 8)})`;
  }

  function expiryBackstop(): string | null {
    const setting = rotation.openrouter.key.expiresAfter;
    if (setting === 'none') return null;
    const afterMs =
      setting === 'auto'
        ? rotation.schedule.intervalDays * 86_400_000 + graceMs + EXPIRY_MARGIN_MS
        : parseDuration(setting);
    // Whole seconds: OpenRouter wants ISO 8601 with seconds and no fraction.
    return new Date(Math.ceil((Date.now() + afterMs) / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function result(outcome: 'succeeded' | 'skipped', extra: Partial<RotationResult>): RotationResult {
    return {
      rotation: rotation.name,
      outcome,
      destinations: [],
      steps: status.steps,
      startedAt,
      endedAt: new Date().toISOString(),
      warnings: status.warnings,
      ...extra,
    };
  }
}

function messageOf(err: unknown): string {
  if (err instanceof ApplicationFailure || !(err instanceof Error))
    return String((err as Error)?.message ?? err);
  // ActivityFailure wraps the real cause; its own message is generic.
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}

function failure(message: string, cause: unknown): ApplicationFailure {
  const type =
    cause instanceof Error && 'cause' in cause && cause.cause instanceof ApplicationFailure
      ? cause.cause.type
      : undefined;
  return ApplicationFailure.create({ message, type: type ?? 'RotationFailed', nonRetryable: true });
}
