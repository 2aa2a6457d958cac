/**
 * The faults of a chaos run, decided up front from the seed: what the OpenRouter emulator and the
 * proxies in front of Vault and AWS inject, how often the worker is killed, and when the Temporal
 * server restarts. The rates are those of the independent run this reproduces.
 */
import type { FaultConfig } from '../../src/emulator/server.js';
import type { ProxyFaults } from './fault-proxy.js';
import { STREAMS, seededChoices } from './seeded-choices.js';

export interface FaultPlan {
  /** Faults of the emulator's `/api/v1` (see src/emulator/faults.ts). */
  emulator: FaultConfig;
  /** Faults of the proxies in front of Vault and AWS. */
  proxy: ProxyFaults;
  /** The worker is SIGKILLed after a pause drawn from this range, in milliseconds, again and again. */
  killPauseMs: { min: number; max: number };
  /** The Temporal server restarts (once) when this many rotations have finished... */
  serverRestartAfterRotations: number;
  /** ...or at this moment (ms after the rotations started), whichever comes first. */
  serverRestartAtMs: number;
}

export interface FaultPlanInput {
  seed: number;
  rotations: number;
  minutes: number;
}

export function chaosFaultPlan(input: FaultPlanInput): FaultPlan {
  const choices = seededChoices(input.seed, STREAMS.plan);
  // Mid-run, so that rotations are in flight on both sides of the restart.
  const restartFraction = 0.3 + 0.3 * choices.fraction();
  return {
    emulator: {
      serverErrorRate: 0.1,
      serverErrorStatus: 503,
      rateLimitRate: 0.05,
      retryAfterSeconds: 1,
      dropCreateRate: 0.1,
      createCommittedErrorRate: 0.1,
      latencySpikeRate: 0.03,
      latencySpikeMs: 3_000,
      freshKeyUnauthorizedMs: 1_000,
      visibleAfterDeleteGets: 1,
    },
    proxy: {
      serverErrorRate: 0.05,
      rateLimitRate: 0.03,
      retryAfterSeconds: 1,
      dropAnswerAfterCommitRate: 0.1,
      latencySpikeRate: 0.03,
      latencySpikeMs: 2_000,
    },
    killPauseMs: { min: 8_000, max: 20_000 },
    serverRestartAfterRotations: Math.max(1, Math.floor(input.rotations * restartFraction)),
    serverRestartAtMs: Math.round(input.minutes * 60_000 * restartFraction),
  };
}
