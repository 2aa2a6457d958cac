/**
 * The Temporal Runtime's logger in the log format of the process: the SDK's own lines, its core's
 * (forwarded), and the activity and workflow loggers (`log` from @temporalio/activity and
 * @temporalio/workflow, through the SDK's sinks) all pass it. Text keeps the SDK's default logger.
 */
import { DefaultLogger, type LogEntry, type Logger as SdkLogger } from '@temporalio/worker';
import type { LogFormat } from '../logging/log-format.js';
import { jsonLogLine, type LogLevel } from '../logging/log-record.js';
import type { LogStream } from '../logging/logger.js';

/** The JSON line of one SDK log entry. */
export function sdkEntryLine(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n));
  return jsonLogLine(entry.level.toLowerCase() as LogLevel, entry.message, entry.meta, time);
}

/**
 * The logger to install in the Runtime, or undefined to keep the SDK's default (text).
 * @param stream where the lines go. @default process.stderr, as the SDK's default logger
 */
export function runtimeLogger(format: LogFormat, stream: LogStream = process.stderr): SdkLogger | undefined {
  if (format === 'text') return undefined;
  return new DefaultLogger('INFO', (entry) => void stream.write(`${sdkEntryLine(entry)}\n`));
}
