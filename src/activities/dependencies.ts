/**
 * What the activities need from the outside world, injected so tests can swap any piece: the
 * OpenRouter client for a rotation, its secret stores, the sealer for keys in transit, a clock,
 * and the worker policy's admission of the rotations that may run.
 */
import type { SecretSealer } from '../codec/secret-sealer.js';
import type { RotationConfig } from '../config/schema.js';
import type { OpenRouterClient } from '../openrouter/client.js';
import type { RotationAdmission } from '../policy/rotation-admission.js';
import type { SecretStore } from '../stores/secret-store.js';

export interface ActivityDependencies {
  /**
   * The management-API client for a rotation (management key from the env var the config names),
   * only for a rotation the admission lets in.
   */
  openRouter(rotation: RotationConfig): OpenRouterClient;
  /** The rotation's destinations, in config order, only for a rotation the admission lets in. */
  stores(rotation: RotationConfig): SecretStore[];
  sealer: SecretSealer;
  /**
   * What the worker's operator allows rotations to do: every activity admits its rotation before
   * any I/O (see input-validation.ts), once; the builders above find it admitted.
   */
  admission: RotationAdmission;
  /** Waits between polls; tests may shorten it. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** How lifecycle events are delivered (see src/events/). @default the environment and console */
  notifications?: NotificationSettings;
}

export interface NotificationSettings {
  /** Environment sinks' `{env: NAME}` references read. @default process.env */
  env?: Record<string, string | undefined>;
  /** Folder relative `{file: PATH}` references resolve from. @default process.cwd() */
  cwd?: string;
  /** The Temporal Web UI's address (KEY_ROTATOR_WEB_UI_URL): events link to their run there. */
  webUiUrl?: string;
  /** Where the `log` sink writes. @default the activity logger (the worker's log) */
  log?: (line: string) => void;
  /** @default globalThis.fetch */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Longest wait for a sink's answer. @default 10_000 */
  timeoutMs?: number;
}
