/**
 * Exports every `key_rotator_*` counter at 0 for every scheduled rotation when the worker starts.
 * Prometheus' `increase()` needs a sample before the first failure to see it: a series that
 * appears at 1 looks like no change, so the alert on the first failure would never fire.
 */
import { Client, type DataConverter } from '@temporalio/client';
import { Runtime, type NativeConnection } from '@temporalio/worker';
import { rotationScheduleId } from '../workflow-contract/messages.js';
import { ROTATION_COUNTERS } from '../workflows/rotation-metrics.js';

export interface CountersAtStartOptions {
  connection: NativeConnection;
  namespace: string;
  /** The rotation task queue: the SDK tags workflow metrics with it. */
  taskQueue: string;
  dataConverter: DataConverter;
}

/** The rotations that have a schedule, by name. */
async function scheduledRotations(client: Client): Promise<string[]> {
  const prefix = rotationScheduleId('');
  const names: string[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(prefix)) names.push(schedule.scheduleId.slice(prefix.length));
  }
  return names;
}

/**
 * Adds 0 to each counter of each scheduled rotation, with the tags the SDK gives workflow metrics
 * (namespace, taskQueue, workflowType), so these are the very series the workflows count in.
 * @returns the rotations it exported counters for.
 */
export async function exportCountersAtZero(options: CountersAtStartOptions): Promise<string[]> {
  const client = new Client({
    connection: options.connection,
    namespace: options.namespace,
    dataConverter: options.dataConverter,
  });
  const rotations = await scheduledRotations(client);
  const meter = Runtime.instance().metricMeter;
  for (const rotation of rotations) {
    for (const counter of Object.values(ROTATION_COUNTERS)) {
      meter
        .withTags({
          namespace: options.namespace,
          taskQueue: options.taskQueue,
          workflowType: counter.emittedBy,
          rotation,
        })
        .createCounter(counter.name, '1', counter.description)
        .add(0);
    }
  }
  return rotations;
}
