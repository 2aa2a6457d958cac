/**
 * The lifecycle events of a rotation: their stable type names and their JSON shape, CloudEvents
 * 1.0 structured mode (https://github.com/cloudevents/spec). Workflow-safe: no Node built-ins.
 *
 * An event never carries a key: labels (`sk-or-v1-abc...wxyz`) and OpenRouter's hashes only, and
 * error text that was redacted where the error was made (and is redacted again here).
 */
import { z } from 'zod';

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

const MAX_TEXT = 4_000;

/** A key as events name it: never the key itself. */
export const eventKeySchema = z
  .object({
    /** OpenRouter's masked form, `sk-or-v1-abc...wxyz`. */
    label: z.string().max(100),
    /** OpenRouter's hash of the key (sha256 hex), its id in the management API. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

/** The `data` of every lifecycle event; fields that do not apply are left out. */
export const lifecycleEventDataSchema = z
  .object({
    rotation: z.string().max(100),
    workflowId: z.string().max(300),
    runId: z.string().max(100),
    /** Why the run started: `scheduled` or `manual` (`key-rotator rotate`). */
    reason: z.enum(['scheduled', 'manual']),
    /** Free text of `key-rotator rotate --reason`. */
    note: z.string().max(MAX_TEXT).optional(),
    /** The step the rotation is at (or ended in). */
    step: z.string().max(50),
    oldKey: eventKeySchema.optional(),
    newKey: eventKeySchema.optional(),
    /** Labels of the rotation's destinations (kind and place, never a credential). */
    destinations: z.array(z.string().max(500)).max(50),
    /** Why the rotation failed or holds, redacted. */
    error: z.string().max(MAX_TEXT).optional(),
    /** `rotation.paused`: the reason given with the pause. */
    pauseReason: z.string().max(MAX_TEXT).optional(),
    /** `rotation.skipped`: why nothing was rotated. */
    skippedBecause: z.string().max(MAX_TEXT).optional(),
    /** `key.expiring`: when the active key's expiry backstop ends it (ISO 8601). */
    expiresAt: z.string().max(40).optional(),
    /** Warnings of the run so far (e.g. what could not be carried over). */
    warnings: z.array(z.string().max(MAX_TEXT)).max(50).optional(),
    /**
     * The run in the Temporal Web UI, added at delivery when the worker knows the UI's address
     * (KEY_ROTATOR_WEB_UI_URL).
     */
    webUiUrl: z.string().max(2_000).optional(),
  })
  .strict();

/** A lifecycle event in CloudEvents 1.0 structured JSON. */
export const lifecycleEventSchema = z
  .object({
    specversion: z.literal('1.0'),
    /** Unique and stable: the same event delivered twice has the same id (`webhook-id` too). */
    id: z.string().regex(/^key-rotator-event-[A-Za-z0-9-]{1,100}-\d+-[a-z._]+$/),
    /** `/key-rotator/rotations/<name>`. */
    source: z.string().max(200),
    type: z.enum(EVENT_TYPES),
    /** The rotation's name. */
    subject: z.string().max(100),
    /** When it happened (workflow time, ISO 8601). */
    time: z.iso.datetime(),
    datacontenttype: z.literal('application/json'),
    data: lifecycleEventDataSchema,
  })
  .strict();

export type EventKey = z.infer<typeof eventKeySchema>;
export type LifecycleEventData = z.infer<typeof lifecycleEventDataSchema>;
export type LifecycleEvent = z.infer<typeof lifecycleEventSchema>;

/**
 * The id of the `sequence`-th event of a run, `unique` a uuid the workflow made: deterministic, so
 * a replayed workflow emits the same ids, and the delivery workflow started under this id cannot
 * run twice.
 */
export function eventId(unique: string, sequence: number, type: EventType): string {
  return `key-rotator-event-${unique}-${sequence}-${type}`;
}

/** The CloudEvents `source` of a rotation's events. */
export function eventSource(rotation: string): string {
  return `/key-rotator/rotations/${rotation}`;
}
