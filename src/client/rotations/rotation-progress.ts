/**
 * Follows a running rotation for `rotate --wait`: polls the `status` query and reports each step
 * once, with its start time and how long the previous step took, plus pauses and resumes. Plain
 * lines only, so the output reads the same in a terminal and in a CI log.
 */
import { WorkflowFailedError, type Connection, type WorkflowHandle } from '@temporalio/client';
import {
  statusQuery,
  type RotationResult,
  type RotationStatus,
  type StepTiming,
} from '../../workflows/messages.js';
import { formatClock, formatElapsed, formatUtc } from '../output/format-time.js';

export interface FollowOptions {
  /** Between two status queries. @default 1000 */
  pollIntervalMs?: number;
  /** Say once that no worker answers after this long. @default 15000 */
  noWorkerHintAfterMs?: number;
  /** Where progress lines go. */
  print: (line: string) => void;
}

export type FollowOutcome = { ok: true; result: RotationResult } | { ok: false; message: string };

function stepDetail(step: StepTiming, status: RotationStatus | undefined): string {
  switch (step.step) {
    case 'store':
      return status?.newKeyLabel ? `new key ${status.newKeyLabel}` : '';
    case 'grace':
      return status?.graceEndsAt ? `both keys live until ${formatUtc(status.graceEndsAt)}` : '';
    case 'delete':
      return status?.oldKeyLabel ? `old key ${status.oldKeyLabel}` : '';
    case 'failed':
    case 'rollback':
      return status?.lastError ? `error: ${status.lastError}` : '';
    default:
      return '';
  }
}

function stepLine(steps: StepTiming[], index: number, status: RotationStatus | undefined): string {
  const step = steps[index]!;
  const previous = steps[index - 1];
  const took =
    previous?.endedAt !== undefined
      ? ` (${previous.step} took ${formatElapsed(Date.parse(previous.endedAt) - Date.parse(previous.startedAt))})`
      : '';
  const detail = stepDetail(step, status);
  return `${formatClock(step.startedAt)}  ${step.step.padEnd(9)}${detail ? ` ${detail}` : ''}${took}`.trimEnd();
}

export async function followRotation(
  handle: WorkflowHandle,
  connection: Connection,
  options: FollowOptions,
): Promise<FollowOutcome> {
  const pollMs = options.pollIntervalMs ?? 1_000;
  const hintAfter = options.noWorkerHintAfterMs ?? 15_000;
  const started = Date.now();
  let printedSteps = 0;
  let paused = false;
  let hinted = false;
  let answered = false;
  let lastStatus: RotationStatus | undefined;

  const report = (status: RotationStatus | undefined, steps: StepTiming[]) => {
    for (; printedSteps < steps.length; printedSteps++) options.print(stepLine(steps, printedSteps, status));
    if (status && status.paused !== paused) {
      paused = status.paused;
      options.print(
        `${formatClock(new Date())}  ${paused ? `paused${status.pauseReason ? `: ${status.pauseReason}` : ''} (waits before its next step)` : 'resumed'}`,
      );
    }
  };

  const result = handle.result().then(
    (value: unknown): FollowOutcome => ({ ok: true, result: value as RotationResult }),
    (err: unknown): FollowOutcome => ({
      ok: false,
      message:
        err instanceof WorkflowFailedError
          ? (err.cause?.message ?? err.message)
          : String((err as Error)?.message ?? err),
    }),
  );
  for (;;) {
    const done = await Promise.race([
      result,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), pollMs)),
    ]);
    if (done) {
      if (done.ok) report(lastStatus, done.result.steps);
      else {
        // The failed run still answers the query (from its history) when a worker is up.
        const status = await connection
          .withDeadline(Date.now() + 3_000, () => handle.query(statusQuery))
          .catch(() => undefined);
        if (status) report(status, status.steps);
      }
      return done;
    }
    try {
      lastStatus = await connection.withDeadline(Date.now() + 5_000, () => handle.query(statusQuery));
      answered = true;
      report(lastStatus, lastStatus.steps);
    } catch {
      if (!answered && !hinted && Date.now() - started > hintAfter) {
        hinted = true;
        options.print(
          `${formatClock(new Date())}  waiting for a worker to pick the rotation up (is \`key-rotator worker\` running?)`,
        );
      }
    }
  }
}
