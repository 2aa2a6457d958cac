/**
 * Reproducible random choices for a chaos run. Each consumer (kill timer, proxies, ...) draws from
 * its own stream of the run's seed, so adding draws in one place does not shift the others.
 */
import { seededRandom } from '../../src/emulator/prng.js';

export interface SeededChoices {
  /** A number in [0, 1). */
  fraction(): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  /** True with probability `p`; draws nothing when `p` is 0. */
  chance(p: number): boolean;
}

/** The stream `stream` of the run seeded with `seed`. */
export function seededChoices(seed: number, stream: number): SeededChoices {
  const next = seededRandom((Math.imul(seed, 0x9e3779b1) + stream) >>> 0);
  return {
    fraction: next,
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => p > 0 && next() < p,
  };
}

/** Streams of a run, named so that no two consumers share one. */
export const STREAMS = { killTimer: 1, vaultProxy: 2, awsProxy: 3, plan: 4 } as const;
