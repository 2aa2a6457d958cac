/**
 * The waits of a rotation. The grace period is a durable timer while consumers pick up the new
 * key: a pause stretches it, `endGrace` cuts it short. With `requireTrafficMoved`, the traffic
 * hold then keeps both keys live until the old key's traffic has stopped and the new key's has
 * begun. Traffic is counted in requests (OpenRouter's analytics API) when every key's count can
 * be had, else in USD usage, which free-model traffic (and BYOK traffic not counted in the limit)
 * never moves; the status says which.
 */
import { condition } from '@temporalio/workflow';
import type { CreatedKeyInfo, KeyInfo, KeyUsage } from '../activities/activity-types.js';
import type { RotationDurations } from '../config/rotation-durations.js';
import type { RotationConfig } from '../config/schema.js';
import { VerificationError } from '../errors/rotator-errors.js';
import { workflowFailure } from './rotation-failures.js';
import type { TrafficSource } from '../workflow-contract/messages.js';
import type { RotationState } from './rotation-state.js';

/** Longest window in which the old key's usage must stand still; also the longest hold re-check. */
const MAX_QUIET_WINDOW_MS = 10 * 60_000;
/** Shortest interval between usage checks while holding. */
const MIN_TRAFFIC_RECHECK_MS = 5_000;

const HOUR_MS = 3_600_000;

/** Usage counters of the given keys, in the same order (an OpenRouter activity). */
export type UsageOf = (hashes: string[]) => Promise<KeyUsage[]>;

/** The plan for the traffic-moved check: which key must fall quiet, and for how long. */
export interface TrafficCheck {
  old: KeyInfo;
  /** The last part of the grace period, in which the old key's traffic must stand still. */
  quietMs: number;
  /**
   * Requests are counted from here on (ISO): the start of the hour the check was planned in, as
   * the analytics API counts in hourly buckets. Counts since a fixed time only grow, like usage.
   */
  requestsSince: string;
  /** How long the hold may wait for traffic to move before the rotation fails. */
  holdTimeoutMs: number;
}

/** The old key's traffic at one moment, and what it was counted in (two readings compare only in one unit). */
export interface TrafficReading {
  source: TrafficSource;
  value: number | null;
}

/** The traffic of each key, in requests when every key's count came back, else in USD usage. */
function trafficOf(
  usages: KeyUsage[],
  state: RotationState,
): { source: TrafficSource; values: (number | null)[] } {
  if (usages.every((u) => typeof u.requests === 'number')) {
    state.trafficSourceUsed('request-counts');
    return { source: 'request-counts', values: usages.map((u) => u.requests ?? null) };
  }
  state.trafficSourceUsed('usd-usage', usages.find((u) => u.requestsUnavailable)?.requestsUnavailable);
  return { source: 'usd-usage', values: usages.map((u) => u.usage) };
}

/**
 * With `requireTrafficMoved`, the last part of the grace period (half, at most 10 min) is the
 * window in which the old key's usage must stand still. An emergency `--grace 0` skips the check.
 */
export function planTrafficCheck(
  rotation: RotationConfig,
  oldKey: KeyInfo | undefined,
  durations: RotationDurations,
  state: RotationState,
): TrafficCheck | undefined {
  if (!rotation.verify.requireTrafficMoved || !oldKey) return undefined;
  const { graceMs } = durations;
  if (graceMs > 0) {
    return {
      old: oldKey,
      quietMs: Math.min(graceMs / 2, MAX_QUIET_WINDOW_MS),
      requestsSince: new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS).toISOString(),
      holdTimeoutMs: durations.trafficHoldTimeoutMs,
    };
  }
  state.warn(
    'grace period 0: the traffic-moved check is skipped, the old key is revoked right after verification',
  );
  return undefined;
}

/**
 * Waits out the grace period. With a traffic check, reads the old key's traffic before the quiet
 * window starts and returns it (null otherwise), to see it stand still afterwards.
 */
export async function waitOutGrace(
  state: RotationState,
  graceMs: number,
  trafficCheck: TrafficCheck | undefined,
  usageOf: UsageOf,
): Promise<TrafficReading | null> {
  const endsAt = Date.now() + graceMs;
  let oldTraffic: TrafficReading | null = null;
  if (trafficCheck) {
    await graceUntil(state, endsAt - trafficCheck.quietMs, endsAt);
    const { source, values } = trafficOf(await usageOf([trafficCheck.old.hash]), state);
    oldTraffic = { source, value: values[0] ?? null };
  }
  await graceUntil(state, endsAt, endsAt);
  return oldTraffic;
}

/**
 * The grace period until `untilMs`: a durable timer that a pause stretches (a paused rotation
 * does not move on, even past the timer) and `endGrace` cuts short.
 */
async function graceUntil(state: RotationState, untilMs: number, endsAt: number): Promise<void> {
  state.showGraceEnd(endsAt);
  while (!state.endGraceRequested) {
    if (state.paused) {
      await condition(() => !state.paused || state.endGraceRequested);
      continue;
    }
    const remaining = untilMs - Date.now();
    if (remaining <= 0) break;
    await condition(() => state.paused || state.endGraceRequested, remaining);
  }
  if (untilMs >= endsAt || state.endGraceRequested) state.showGraceEnd(undefined);
}

/**
 * The new key must show traffic and the old key's traffic must have stopped growing (compared in
 * one unit: a reading in another unit starts the comparison afresh). Until then both keys stay
 * live (the `hold` step) and the check repeats; `endGrace` overrides it, the `trafficHoldTimeout`
 * deadline fails it with a {@link VerificationError}.
 */
export async function holdUntilTrafficMoved(
  rotation: RotationConfig,
  state: RotationState,
  check: TrafficCheck,
  oldTrafficBefore: TrafficReading | null,
  newKey: CreatedKeyInfo,
  usageOf: UsageOf,
): Promise<void> {
  const deadline = Date.now() + check.holdTimeoutMs;
  const recheckMs = Math.min(Math.max(check.quietMs, MIN_TRAFFIC_RECHECK_MS), MAX_QUIET_WINDOW_MS);
  let previousOld = oldTrafficBefore;
  state.forgetEndGrace();
  for (;;) {
    const { source, values } = trafficOf(await usageOf([check.old.hash, newKey.hash]), state);
    const [oldNow = null, newNow = null] = values;
    const oldStopped =
      previousOld !== null &&
      previousOld.source === source &&
      previousOld.value !== null &&
      oldNow === previousOld.value;
    const newUsed = (newNow ?? 0) > 0;
    if (oldStopped && newUsed) return;
    if (state.status.step !== 'hold') {
      state.enterStep('hold');
      state.warn(
        `holding: traffic has not moved yet by ${source === 'request-counts' ? 'request counts' : 'USD usage'} ` +
          `(new key ${newUsed ? 'is' : 'is not'} in use, old key ${oldStopped ? 'is idle' : 'is still in use'}); ` +
          'both keys stay live. Send endGrace to delete anyway.',
      );
    }
    previousOld = { source, value: oldNow };
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw workflowFailure(
        VerificationError,
        `traffic did not move to the new key within ${rotation.verify.trafficHoldTimeout}`,
      );
    }
    if (await condition(() => state.endGraceRequested, Math.min(recheckMs, remaining))) {
      state.warn('hold ended by an operator: deleting the old key although traffic had not moved');
      return;
    }
    await state.whenNotPaused();
  }
}
