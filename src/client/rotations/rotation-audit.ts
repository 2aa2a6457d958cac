/**
 * The audit trail of a rotation: one record per run, read from the run's Temporal history (which
 * the server keeps for the namespace's retention period): who or what started it, the signals it
 * got and from whom, each step with its times, the outcome, and the keys by label and hash.
 * Payloads are decoded through the client's codec; none of them holds a key in clear.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import {
  rotationNewKeyLabelKey,
  rotationScheduleId,
  rotationStepKey,
  type RotationInput,
  type StepTiming,
} from '../../workflow-contract/messages.js';
import { failureMessageOf, rotationResultOf, type RotationRun } from './rotation-runs.js';

/** A run as `history` lists it (visibility), with what its history says. */
export interface AuditRecord extends RotationRun {
  rotation: string;
  startedBy: {
    /** `schedule`: the rotation's Temporal Schedule; `client`: `key-rotator rotate` or another client. */
    kind: 'schedule' | 'client';
    /** The starter's identity as Temporal recorded it, e.g. `alice@ops-1 (key-rotator CLI)`. */
    identity: string;
    /** The schedule's id, for scheduled runs. */
    scheduleId?: string;
    reason: string;
    /** `key-rotator rotate --reason` text. */
    note?: string;
  };
  /** Signals the run got (pause, resume, endGrace), with who sent them. */
  signals: { name: string; at: string; identity: string; reason?: string }[];
  /** Each step the run entered, with its start and end. */
  steps: StepTiming[];
  newKey: { label: string | null; hash: string | null };
  oldKeyHash: string | null;
  oldKeyDeleted: boolean | null;
  /** Why it failed (redacted). */
  error: string | null;
}

/** The record of a run whose history this CLI cannot decode: what visibility says, and why. */
export interface UnreadableAuditRecord extends RotationRun {
  rotation: string;
  readError: string;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function timeOf(event: HistoryEvent): string {
  const t = event.eventTime;
  const ms = Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}

/** A Keyword search attribute's value in an upsert event (JSON-encoded, never encrypted). */
function upserted(event: HistoryEvent, key: string): string | undefined {
  const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[key];
  if (!payload?.data) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.data).toString('utf8'));
    return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** The audit record of one run. */
export async function auditRecordOf(client: Client, run: RotationRun): Promise<AuditRecord> {
  const handle = client.workflow.getHandle(run.workflowId, run.runId);
  const history = await handle.fetchHistory();
  const converter = client.options.loadedDataConverter;
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const [input] = (await decodeArrayFromPayloads(converter, started?.input?.payloads)) as [
    RotationInput | undefined,
  ];
  const name = input?.rotation.name ?? run.workflowId.replace(/^rotation-/, '');
  const parent = started?.parentWorkflowExecution?.workflowId ?? '';
  const scheduleId = rotationScheduleId(name);
  const scheduled = parent.startsWith(scheduleId);

  const signals: AuditRecord['signals'] = [];
  const steps: StepTiming[] = [];
  let newKeyLabel: string | null = null;
  for (const event of events) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal) {
      const [reason] = await decodeArrayFromPayloads(converter, signal.input?.payloads);
      signals.push({
        name: signal.signalName ?? '',
        at: timeOf(event),
        identity: signal.identity ?? '',
        ...(typeof reason === 'string' && reason ? { reason } : {}),
      });
    }
    const step = upserted(event, rotationStepKey.name);
    if (step) {
      const previous = steps.at(-1);
      if (previous && !previous.endedAt) previous.endedAt = timeOf(event);
      steps.push({ step: step as StepTiming['step'], startedAt: timeOf(event) });
    }
    newKeyLabel = upserted(event, rotationNewKeyLabelKey.name) ?? newKeyLabel;
  }
  const last = steps.at(-1);
  if (last && !last.endedAt && run.endedAt) last.endedAt = run.endedAt;

  const result = await rotationResultOf(client, run).catch(() => undefined);
  const error = await failureMessageOf(client, run).catch(() => undefined);
  return {
    ...run,
    rotation: name,
    startedBy: {
      kind: scheduled ? 'schedule' : 'client',
      identity: started?.identity ?? '',
      ...(scheduled ? { scheduleId } : {}),
      reason: input?.options?.reason ?? (scheduled ? 'scheduled' : 'manual'),
      ...(input?.options?.note ? { note: input.options.note } : {}),
    },
    signals,
    steps,
    newKey: { label: result?.newKey?.label ?? newKeyLabel, hash: result?.newKey?.hash ?? null },
    oldKeyHash: result?.oldKeyHash ?? null,
    oldKeyDeleted: result?.oldKeyDeleted ?? null,
    error: error ?? null,
  };
}
