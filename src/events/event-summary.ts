/**
 * An event in words, one line, for people: the log sink prints it and the Slack message leads with
 * it. Labels only, never keys.
 */
import type { EventType, LifecycleEvent } from './event-types.js';

const HEADLINE: Record<EventType, string> = {
  'rotation.started': 'rotation started',
  'rotation.succeeded': 'rotated',
  'rotation.failed': 'rotation FAILED',
  'rotation.rolled_back': 'rotation failed and was rolled back',
  'rotation.held': 'rotation held: traffic has not moved to the new key',
  'rotation.paused': 'rotation paused',
  'rotation.resumed': 'rotation resumed',
  'rotation.skipped': 'rotation skipped',
  'key.expiring': 'active key expires soon',
};

/** What happened, e.g. `checkout-prod: rotated (new key sk-or-v1-abc...wxyz replaced sk-or-v1-def...1234)`. */
export function eventHeadline(event: LifecycleEvent): string {
  return `${event.subject}: ${HEADLINE[event.type]}`;
}

/** The details after the headline, each a short clause. */
export function eventDetails(event: LifecycleEvent): string[] {
  const { data } = event;
  const details: string[] = [];
  if (event.type === 'rotation.succeeded' && data.newKey) {
    details.push(
      `new key ${data.newKey.label}${data.oldKey ? ` replaced ${data.oldKey.label} (deleted)` : ''}`,
    );
  } else {
    if (data.newKey) details.push(`new key ${data.newKey.label}`);
    if (data.oldKey)
      details.push(`${event.type === 'key.expiring' ? 'active' : 'old'} key ${data.oldKey.label}`);
  }
  if (event.type === 'key.expiring' && data.expiresAt) details.push(`expires ${data.expiresAt}`);
  if (data.pauseReason) details.push(`pause reason: ${data.pauseReason}`);
  if (data.skippedBecause) details.push(`skipped because ${data.skippedBecause}`);
  if (data.error) details.push(`error: ${data.error}`);
  details.push(`step ${data.step}`);
  details.push(
    `started ${data.reason === 'scheduled' ? 'by the schedule' : 'by hand'}${data.note ? ` (${data.note})` : ''}`,
  );
  return details;
}

/** The whole event on one line, for the worker log. */
export function eventLogLine(event: LifecycleEvent): string {
  return `key-rotator event ${event.type} ${eventHeadline(event)}; ${eventDetails(event).join('; ')}; run ${event.data.runId}; id ${event.id}`;
}
