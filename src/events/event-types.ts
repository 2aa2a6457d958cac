/**
 * The lifecycle events of a rotation: their stable type names and their JSON shape, CloudEvents
 * 1.0 structured mode (https://github.com/cloudevents/spec). Workflow-safe: no Node built-ins.
 *
 * An event never carries a key: labels (`sk-or-v1-abc...wxyz`) and OpenRouter's hashes only, and
 * error text that was redacted where the error was made (and is redacted again here).
 */
import type { RotationReason, RotationStep } from '../workflows/messages.js';

/** Every event type, in the order a rotation can emit them. */
export const EVENT_TYPES = [
  'rotation.started',
  'rotation.succeeded',
  'rotation.failed',
  'rotation.rolled_back',
  'rotation.held',
  'rotation.paused',
  'rotation.resumed',
  'rotation.skipped',
  'key.expiring',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/**
 * What a sink gets when its `events` list is left out: every type but `rotation.skipped`, which a
 * scheduled rotation that is not due emits every day.
 */
export const DEFAULT_SINK_EVENTS: readonly EventType[] = EVENT_TYPES.filter((t) => t !== 'rotation.skipped');

/** A key as events name it: never the key itself. */
export interface EventKey {
  label: string;
  /** OpenRouter's hash of the key (sha256 hex), its id in the management API. */
  hash: string;
}

/** The `data` of every lifecycle event; fields that do not apply are left out. */
export interface LifecycleEventData {
  rotation: string;
  workflowId: string;
  runId: string;
  /** Why the run started: `scheduled` or `manual` (`key-rotator rotate`). */
  reason: RotationReason;
  /** Free text of `key-rotator rotate --reason`. */
  note?: string;
  /** The step the rotation is at (or ended in). */
  step: RotationStep;
  oldKey?: EventKey;
  newKey?: EventKey;
  /** Labels of the rotation's destinations (kind and place, never a credential). */
  destinations: string[];
  /** Why the rotation failed or holds, redacted. */
  error?: string;
  /** `rotation.paused`: the reason given with the pause. */
  pauseReason?: string;
  /** `rotation.skipped`: why nothing was rotated. */
  skippedBecause?: string;
  /** `key.expiring`: when the active key's expiry backstop ends it (ISO). */
  expiresAt?: string;
  /** Warnings of the run so far (e.g. what could not be carried over). */
  warnings?: string[];
  /**
   * The run in the Temporal Web UI, added at delivery when the worker knows the UI's address
   * (KEY_ROTATOR_WEB_UI_URL).
   */
  webUiUrl?: string;
}

/** A lifecycle event in CloudEvents 1.0 structured JSON. */
export interface LifecycleEvent {
  specversion: '1.0';
  /** Unique and stable: the same event delivered twice has the same id (`webhook-id` too). */
  id: string;
  /** `/key-rotator/rotations/<name>`. */
  source: string;
  type: EventType;
  /** The rotation's name. */
  subject: string;
  /** When it happened (workflow time, ISO 8601). */
  time: string;
  datacontenttype: 'application/json';
  data: LifecycleEventData;
}

/**
 * The id of the `sequence`-th event of a run: deterministic, so a replayed workflow emits the same
 * ids, and the delivery workflow started under this id cannot run twice.
 */
export function eventId(runId: string, sequence: number, type: EventType): string {
  return `key-rotator-event-${runId}-${sequence}-${type}`;
}

/** The CloudEvents `source` of a rotation's events. */
export function eventSource(rotation: string): string {
  return `/key-rotator/rotations/${rotation}`;
}
