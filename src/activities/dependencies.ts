/**
 * What the activities need from the outside world, injected so tests can swap any piece: the
 * OpenRouter client for a rotation, its secret stores, the sealer for keys in transit, a clock,
 * and the worker policy that bounds what a rotation may ask for.
 */
import type { SecretSealer } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import type { OpenRouterClient } from '../openrouter/client.js';
import type { WorkerPolicy } from '../policy/worker-policy-schema.js';
import type { SecretStore } from '../stores/secret-store.js';

export interface ActivityDependencies {
  /** The management-API client for a rotation (management key from the env var the config names). */
  openRouter(rotation: RotationConfig): OpenRouterClient;
  /** The rotation's destinations, in config order. */
  stores(rotation: RotationConfig): SecretStore[];
  sealer: SecretSealer;
  /**
   * What the worker's operator allows rotations to do: every activity checks its rotation against
   * it before any I/O (see input-validation.ts).
   */
  policy: WorkerPolicy;
  /** Waits between polls; tests may shorten it. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}
