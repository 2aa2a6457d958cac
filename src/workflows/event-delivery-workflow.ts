/**
 * Delivers one lifecycle event to every sink of its rotation that wants it, each with its own
 * retries and back-off, all at once. The rotation starts this workflow with the event's id as its
 * workflow id and does not wait for it: a slow or broken sink never blocks or fails a rotation, and
 * an event is never delivered twice by us (a receiver dedupes on `webhook-id` if an answer was lost).
 *
 * A sink that does not accept the event within the retry budget fails this workflow, which
 * `key-rotator status` shows and `key_rotator_notification_failures_total` counts.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/index.js';
import type { RotationConfig } from '../config/schema.js';
import type { LifecycleEvent } from '../events/event-types.js';
import { sinkLabel, sinkWants } from '../events/sink-schemas.js';
import { reasonOf } from './rotation-failures.js';
import { notificationFailures } from './rotation-metrics.js';

export interface EventDeliveryInput {
  /** The rotation's config snapshot: its `notifications` are the sinks. */
  rotation: RotationConfig;
  event: LifecycleEvent;
}

export interface EventDeliveryResult {
  eventId: string;
  /** Labels of the sinks that accepted the event (`webhook #1`). */
  delivered: string[];
}

/**
 * A time budget rather than a number of attempts: a receiver that is down for an hour at 03:00
 * still gets the failure when it is back. Back-off 1 s, 2 s, 4 s … at most 10 minutes apart.
 */
const { deliverEvent } = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function eventDeliveryWorkflow({
  rotation,
  event,
}: EventDeliveryInput): Promise<EventDeliveryResult> {
  const sinks = (rotation.notifications ?? [])
    .map((sink, index) => ({ index, label: sinkLabel(sink, index), wanted: sinkWants(sink, event.type) }))
    .filter((s) => s.wanted);
  const outcomes = await Promise.allSettled(sinks.map((s) => deliverEvent(rotation, s.index, event)));
  const delivered: string[] = [];
  const failed: string[] = [];
  outcomes.forEach((outcome, i) => {
    const label = sinks[i]!.label;
    if (outcome.status === 'fulfilled') delivered.push(label);
    // The activity's message names the sink already (`notification sink webhook #1: ...`).
    else failed.push(reasonOf(outcome.reason));
  });
  if (failed.length > 0) {
    notificationFailures(rotation.name).add(failed.length);
    throw ApplicationFailure.create({
      type: 'NotificationError',
      message: `event ${event.type} of rotation ${rotation.name} was not delivered: ${failed.join('; ')}`,
      nonRetryable: true,
    });
  }
  return { eventId: event.id, delivered };
}
