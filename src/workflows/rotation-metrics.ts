/**
 * Our own metrics, exported with the SDK's (Prometheus when the worker sets
 * KEY_ROTATOR_METRICS_ADDRESS). Emitted from workflow code through the SDK's replay-safe meter, so
 * a replayed history never counts twice. Every series carries the `rotation` tag.
 */
import { metricMeter } from '@temporalio/workflow';

export function rotationMetrics(rotation: string) {
  const meter = metricMeter.withTags({ rotation });
  const counter = (name: string, description: string) => meter.createCounter(name, '1', description);
  return {
    started: counter(
      'key_rotator_rotations_started_total',
      'Rotations that went past preflight and created a key',
    ),
    succeeded: counter(
      'key_rotator_rotations_succeeded_total',
      'Rotations that ended with the old key deleted',
    ),
    failed: counter('key_rotator_rotations_failed_total', 'Rotations that failed (rolled back or not)'),
    rolledBack: counter(
      'key_rotator_rotations_rolled_back_total',
      'Failed rotations whose changes were fully undone',
    ),
    keyAge: meter.createGauge(
      'key_rotator_key_age_seconds',
      'float',
      's',
      'Age of the active key when it was last checked (daily) or replaced',
    ),
  };
}
