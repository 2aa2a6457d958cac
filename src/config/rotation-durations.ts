/**
 * A rotation's durations in milliseconds. The rotations file and `rotate --grace` write them as
 * text (`24h`, `2m`); a run parses them once and passes these numbers on.
 */
import { parseDuration } from '../fields/duration.js';
import type { RotationConfig } from './schema.js';

export interface RotationDurations {
  /** How long both keys stay live: `rotate --grace`, else `gracePeriod`. */
  graceMs: number;
  /** How long a fresh key may answer 401 (`verify.newKeyWindow`). */
  newKeyWindowMs: number;
  /** How long to hold for traffic to move (`verify.trafficHoldTimeout`). */
  trafficHoldTimeoutMs: number;
  /** The expiry backstop (`openrouter.key.expiresAfter`): a duration, or `auto` or `none`. */
  expiresAfter: number | 'auto' | 'none';
}

/**
 * The durations of `rotation`, with the grace period `grace` instead of its own when given.
 * @throws Error naming the text that is not a duration (the config schema refuses it first).
 */
export function durationsOf(rotation: RotationConfig, grace?: string): RotationDurations {
  const { expiresAfter } = rotation.openrouter.key;
  return {
    graceMs: parseDuration(grace ?? rotation.gracePeriod),
    newKeyWindowMs: parseDuration(rotation.verify.newKeyWindow),
    trafficHoldTimeoutMs: parseDuration(rotation.verify.trafficHoldTimeout),
    expiresAfter:
      expiresAfter === 'auto' || expiresAfter === 'none' ? expiresAfter : parseDuration(expiresAfter),
  };
}
