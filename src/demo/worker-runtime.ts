/**
 * The Temporal Runtime of the demo's in-process worker: Prometheus metrics at the demo's address,
 * and the SDK's log entries as one-line `[worker]` lines. The SDK's own default prints multi-line
 * objects (webpack statistics, task tokens, every state change) that would bury the demo's story;
 * here the worker's housekeeping is shown only from WARN up, activity and workflow messages from
 * INFO up, with their useful fields (rotation, label, destination …) and without task plumbing.
 *
 * Installed before `runWorker`, which is then given no KEY_ROTATOR_METRICS_ADDRESS (the Runtime
 * can be installed only once per process).
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { DemoLog } from './demo-log.js';

/** Metadata the SDK adds to every entry: identifies the task, says nothing to a person. */
const PLUMBING = new Set([
  'sdkComponent',
  'taskQueue',
  'isLocal',
  'namespace',
  'taskToken',
  'activityId',
  'activityType',
  'workflowId',
  'workflowRunId',
  'runId',
  'workflowType',
]);
const SEVERITY: Record<string, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
/** Warnings that describe the intended setup (the `-api` task queue has activities only). */
const EXPECTED_WARNINGS = new Set(['No workflows registered, not polling for workflow tasks']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  return JSON.stringify(value) ?? String(value);
}

/** The line to show for `entry`, or undefined to drop it. */
export function workerLogLine(entry: LogEntry): string | undefined {
  const meta = entry.meta ?? {};
  const fromUserCode = meta.sdkComponent === 'activity' || meta.sdkComponent === 'workflow';
  if ((SEVERITY[entry.level] ?? 0) < (fromUserCode ? SEVERITY.INFO! : SEVERITY.WARN!)) return undefined;
  if (EXPECTED_WARNINGS.has(entry.message)) return undefined;
  const fields = Object.entries(meta)
    .filter(
      ([name, value]) => !PLUMBING.has(name) && value !== undefined && !(name === 'attempt' && value === 1),
    )
    .map(([name, value]) => `${name}=${fieldText(value)}`);
  const level = entry.level === 'INFO' ? '' : `${entry.level} `;
  return `${level}${entry.message}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}

export function installDemoRuntime(metricsAddress: string, log: DemoLog): void {
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const line = workerLogLine(entry);
      if (line !== undefined) log('worker', line);
    }),
    telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } },
  });
}
