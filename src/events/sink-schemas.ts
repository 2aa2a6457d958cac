/**
 * Where lifecycle events go: the `notifications` list of a rotation (and the file-wide default
 * list). One zod schema per sink kind, the single source of truth for config, activities and
 * policy. Workflow-safe: no Node built-ins.
 */
import { z } from 'zod';
import { secretRef, serviceUrl } from '../fields/field-schemas.js';
import { DEFAULT_SINK_EVENTS, EVENT_TYPES, type EventType } from './event-types.js';

/** Which event types a sink gets. @default every type but rotation.skipped */
const eventFilter = z.array(z.enum(EVENT_TYPES)).min(1).optional();

export const webhookSinkSchema = z
  .object({
    type: z.literal('webhook'),
    /**
     * Where events are POSTed, signed per the Standard Webhooks specification. Its origin must be
     * in the worker policy's `notifications.webhookOrigins`.
     */
    url: serviceUrl,
    /**
     * The signing secret (`whsec_` + base64, as Standard Webhooks libraries print it), from an
     * environment variable or a file the worker policy allows.
     */
    secret: secretRef,
    /** Event types this sink gets. @default every type but rotation.skipped */
    events: eventFilter,
  })
  .strict();

export const slackSinkSchema = z
  .object({
    type: z.literal('slack'),
    /**
     * The Slack incoming-webhook URL, which is itself a secret: from an environment variable or a
     * file the worker policy allows; its origin must be in `notifications.webhookOrigins`.
     */
    webhookUrl: secretRef,
    /** Event types this sink gets. @default every type but rotation.skipped */
    events: eventFilter,
  })
  .strict();

export const logSinkSchema = z
  .object({
    type: z.literal('log'),
    /** Event types this sink gets. @default every type but rotation.skipped */
    events: eventFilter,
  })
  .strict();

/** One sink; `type` picks the schema. */
export const notificationSinkSchema = z.discriminatedUnion('type', [
  webhookSinkSchema,
  slackSinkSchema,
  logSinkSchema,
]);

/** A list of sinks, at most 10 per rotation. */
export const notificationsSchema = z.array(notificationSinkSchema).max(10);

export type NotificationSink = z.infer<typeof notificationSinkSchema>;
export type WebhookSink = z.infer<typeof webhookSinkSchema>;
export type SlackSink = z.infer<typeof slackSinkSchema>;

/** Whether `sink` gets events of type `type`. */
export function sinkWants(sink: NotificationSink, type: EventType): boolean {
  return (sink.events ?? DEFAULT_SINK_EVENTS).includes(type);
}

/** A sink named for people and metrics, without its URL (a Slack URL is a secret): `webhook #1`. */
export function sinkLabel(sink: NotificationSink, index: number): string {
  return `${sink.type} #${index + 1}`;
}
