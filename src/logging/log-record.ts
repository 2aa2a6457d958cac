/**
 * One JSON log record: `time`, `level`, `message`, then the ids that join a line to its rotation
 * (`rotation`, `workflowId`, `runId`, `step`), the trace it belongs to when tracing is on
 * (`trace_id`, `span_id`), then whatever else the line says (destination, label, attempt, …).
 * Every string in it goes through {@link redact}, so no key reaches a log in JSON either.
 */
import { redact } from '../errors/redact.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Fields of a log line. The SDK's activity lines name the run `workflowRunId`: it becomes `runId`. */
export type LogFields = Record<string, unknown>;

/** The ids of the span that is active where a line is logged. */
export interface TraceIds {
  traceId: string;
  spanId: string;
}

/** Set by src/telemetry while tracing is on; otherwise no line has trace ids. */
let activeTraceIds: () => TraceIds | undefined = () => undefined;

/** Where log records find the active span's ids (src/telemetry, when tracing starts). */
export function setTraceIdsSource(source: () => TraceIds | undefined): void {
  activeTraceIds = source;
}

/** Fields that identify the SDK's task and say nothing to a reader of the log. */
const DROPPED = new Set(['taskToken']);
/** Fields the record sets itself; a line's own field of that name is left out. */
const RESERVED = new Set(['time', 'level', 'message', 'trace_id', 'span_id']);

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (ArrayBuffer.isView(value)) return undefined;
  return value;
}

/** The JSON line (without its newline) of one log entry. */
export function jsonLogLine(
  level: LogLevel,
  message: string,
  fields: LogFields = {},
  time: Date = new Date(),
): string {
  const { rotation, workflowId, runId, workflowRunId, step, ...rest } = fields;
  const trace = activeTraceIds();
  const record: Record<string, unknown> = {
    time: time.toISOString(),
    level,
    message,
    rotation,
    workflowId,
    runId: runId ?? workflowRunId,
    step,
    trace_id: trace?.traceId,
    span_id: trace?.spanId,
  };
  for (const [name, value] of Object.entries(rest)) {
    if (!DROPPED.has(name) && !RESERVED.has(name)) record[name] = value;
  }
  return JSON.stringify(record, jsonValue);
}
