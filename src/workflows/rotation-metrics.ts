/**
 * Our own metrics, exported with the SDK's (Prometheus when the worker sets
 * KEY_ROTATOR_METRICS_ADDRESS). Emitted from workflow code through the SDK's replay-safe meter, so
 * a replayed history never counts twice. Every series carries the `rotation` tag.
 */
import { metricMeter } from '@temporalio/workflow';

/**
 * Every counter of a rotation, by name, with the workflow type that emits it (the SDK tags each
 * series with it). The worker exports each at 0 for every scheduled rotation
 * when it starts (src/worker/counters-at-start.ts), so `increase()` sees the first failure.
 */
export const ROTATION_COUNTERS = {
  started: {
    name: 'key_rotator_rotations_started_total',
    description: 'Rotations that went past preflight and created a key',
    emittedBy: 'rotationWorkflow',
  },
  succeeded: {
    name: 'key_rotator_rotations_succeeded_total',
    description: 'Rotations that ended with the old key deleted',
    emittedBy: 'rotationWorkflow',
  },
  failed: {
    name: 'key_rotator_rotations_failed_total',
    description: 'Rotations that failed (rolled back or not)',
    emittedBy: 'rotationWorkflow',
  },
  rolledBack: {
    name: 'key_rotator_rotations_rolled_back_total',
    description: 'Failed rotations whose changes were fully undone',
    emittedBy: 'rotationWorkflow',
  },
  notificationFailures: {
    name: 'key_rotator_notification_failures_total',
    description: 'Lifecycle events a notification sink did not accept within the retry budget',
    emittedBy: 'eventDeliveryWorkflow',
  },
} as const;

export function rotationMetrics(rotation: string) {
  const meter = metricMeter.withTags({ rotation });
  const counter = (key: keyof typeof ROTATION_COUNTERS) =>
    meter.createCounter(ROTATION_COUNTERS[key].name, '1', ROTATION_COUNTERS[key].description);
  return {
    started: counter('started'),
    succeeded: counter('succeeded'),
    failed: counter('failed'),
    rolledBack: counter('rolledBack'),
    keyAge: meter.createGauge(
      'key_rotator_key_age_seconds',
      'float',
      's',
      'Age of the active key when it was last checked (daily) or replaced',
    ),
    keyMaxAge: meter.createGauge(
      'key_rotator_key_max_age_seconds',
      'float',
      's',
      'How old the active key may get: the rotation interval plus the grace period',
    ),
    keyExpiresIn: meter.createGauge(
      'key_rotator_key_expires_in_seconds',
      'float',
      's',
      "Time left until the active key's expiry backstop when it was last checked (absent without one)",
    ),
    held: meter.createGauge(
      'key_rotator_rotation_held',
      'int',
      '1',
      '1 while a rotation holds both keys live because traffic has not moved, else 0',
    ),
  };
}

/** The notification-failure counter of a rotation, from the event delivery workflow (`status` names the sink). */
export function notificationFailures(rotation: string) {
  const { name, description } = ROTATION_COUNTERS.notificationFailures;
  return metricMeter.withTags({ rotation }).createCounter(name, '1', description);
}
