/**
 * Follows a running rotation for `rotate --wait` and `watch`: polls the `status` query and reports
 * each step once, with its start time and how long the previous step took, plus pauses, resumes
 * and failed activity attempts that will be retried. Plain lines only, so the output reads the
 * same in a terminal and in a CI log. The lines come in the order things happened: a step that
 * began after a resume is printed after the resume, and a lost connection to Temporal (a server
 * restart) neither ends the watch nor prints the past again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledFailure, TerminatedFailure } from '@temporalio/common';
import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  ServiceError,
  WorkflowFailedError,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import { whenAborted } from '../../process/run-until-signal.js';
import {
  statusQuery,
  type RotationResult,
  type RotationStatus,
  type StepTiming,
} from '../../workflow-contract/messages.js';
import { formatClock, formatElapsed, formatUtc } from '../output/format-time.js';
import { describeFailedAttempt, failedAttempts, RetryReporter } from './activity-retries.js';

export interface FollowOptions {
  /** Between two status queries. @default 1000 */
  pollIntervalMs?: number;
  /** Say once that no worker answers after this long. @default 15000 */
  noWorkerHintAfterMs?: number;
  /** Where progress lines go, with the step each is about when it is about one. */
  print: (line: string, fields?: { step?: string }) => void;
  /**
   * What the caller has shown already when it attaches to a run under way (`watch`): that many
   * steps are not printed again, and a pause already in force is no news. @default nothing
   */
  alreadyShown?: { steps: number; paused: boolean };
  /** Stops following (the rotation itself goes on) when aborted, e.g. by Ctrl-C. */
  signal?: AbortSignal;
}

export type FollowOutcome =
  | { ok: true; result: RotationResult }
  | { ok: false; message: string; detached?: false }
  /** The watcher stopped (its signal was aborted); the rotation goes on. */
  | { ok: false; message: string; detached: true };

/** gRPC status UNAVAILABLE: the server did not answer. */
const GRPC_UNAVAILABLE = 14;

/** How long one status query or description may take before this poll gives up on it. */
const QUERY_DEADLINE_MS = 5_000;

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

/** Temporal did not answer (a restart, a network blip): worth waiting for, not a rotation failure. */
function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const cause = err.cause;
  return (isGrpcServiceError(cause) && cause.code === GRPC_UNAVAILABLE) || isGrpcDeadlineError(cause);
}

function failureMessage(err: unknown): string {
  if (err instanceof WorkflowFailedError) {
    // Ended from outside: say so, the reason alone (e.g. "test over") reads like an error of its own.
    if (err.cause instanceof TerminatedFailure) return `it was terminated (${err.cause.message})`;
    if (err.cause instanceof CancelledFailure) return `it was cancelled (${err.cause.message})`;
    return err.cause?.message ?? err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Prints what happened since the last call, in the order it happened. */
class ProgressPrinter {
  #printedSteps: number;
  #paused: boolean;
  readonly #retries = new RetryReporter();

  constructor(
    private readonly print: FollowOptions['print'],
    shown: { steps: number; paused: boolean } = { steps: 0, paused: false },
  ) {
    this.#printedSteps = shown.steps;
    this.#paused = shown.paused;
  }

  steps(status: RotationStatus | undefined, steps: StepTiming[]): void {
    const pauseChanged = status !== undefined && status.paused !== this.#paused;
    // A paused rotation starts no step: steps seen together with a resume began after it.
    if (pauseChanged && !status.paused) this.#pauseLine(status, steps[this.#printedSteps]?.startedAt);
    for (; this.#printedSteps < steps.length; this.#printedSteps++)
      this.print(stepLine(steps, this.#printedSteps, status), { step: steps[this.#printedSteps]!.step });
    // …and steps seen together with a pause began before it (it holds the rotation before its next step).
    if (pauseChanged && status.paused) this.#pauseLine(status, undefined);
  }

  async retries(handle: WorkflowHandle, connection: Connection, step: string | undefined): Promise<void> {
    const attempts = await connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      failedAttempts(handle),
    );
    const now = new Date();
    for (const attempt of this.#retries.news(attempts))
      this.print(`${formatClock(now)}  ${describeFailedAttempt(attempt, step, now)}`, { step });
  }

  #pauseLine(status: RotationStatus, nextStepStartedAt: string | undefined): void {
    this.#paused = status.paused;
    const now = Date.now();
    const at = nextStepStartedAt ? Math.min(now, Date.parse(nextStepStartedAt)) : now;
    const what = status.paused
      ? `paused${status.pauseReason ? `: ${status.pauseReason}` : ''} (waits before its next step)`
      : 'resumed';
    this.print(`${formatClock(new Date(at))}  ${what}`);
  }
}

export async function followRotation(
  handle: WorkflowHandle,
  connection: Connection,
  options: FollowOptions,
): Promise<FollowOutcome> {
  const pollMs = options.pollIntervalMs ?? 1_000;
  const hintAfter = options.noWorkerHintAfterMs ?? 15_000;
  const started = Date.now();
  const printer = new ProgressPrinter(options.print, options.alreadyShown);
  let hinted = false;
  let answered = false;
  let lostConnection = false;
  let lastStatus: RotationStatus | undefined;
  const stopped = options.signal
    ? whenAborted(options.signal).then(() => 'stopped' as const)
    : new Promise<never>(() => undefined);

  const watchResult = () =>
    handle.result().then(
      (value: unknown): FollowOutcome => ({ ok: true, result: value as RotationResult }),
      (err: unknown): FollowOutcome | 'lost' =>
        isConnectionLoss(err) ? 'lost' : { ok: false, message: failureMessage(err) },
    );
  let result = watchResult();

  for (;;) {
    // The poll timer is cancelled as soon as anything else settles: a closed rotation exits at once.
    const tick = new AbortController();
    const next = await Promise.race([
      result,
      stopped,
      sleep(pollMs, 'tick' as const, { signal: tick.signal }),
    ]).finally(() => tick.abort());
    if (next === 'stopped') {
      return { ok: false, detached: true, message: 'stopped watching; the rotation goes on' };
    }
    if (next === 'lost') {
      if (!lostConnection) {
        lostConnection = true;
        options.print(
          `${formatClock(new Date())}  lost the connection to Temporal; waiting for it to answer again`,
        );
      }
      result = watchResult();
      continue;
    }
    if (next !== 'tick') {
      // A finished rotation is not paused: a resume and the last steps may all have come since the last poll.
      if (next.ok) printer.steps(lastStatus && { ...lastStatus, paused: false }, next.result.steps);
      else {
        // The failed run still answers the query (from its history) when a worker is up.
        const status = await connection
          .withDeadline(Date.now() + 3_000, () => handle.query(statusQuery))
          .catch(() => undefined);
        if (status) printer.steps(status, status.steps);
      }
      return next;
    }
    try {
      lastStatus = await connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        handle.query(statusQuery),
      );
      answered = true;
      if (lostConnection) {
        lostConnection = false;
        options.print(`${formatClock(new Date())}  Temporal answers again`);
      }
      printer.steps(lastStatus, lastStatus.steps);
    } catch {
      if (!answered && !hinted && Date.now() - started > hintAfter) {
        hinted = true;
        options.print(
          `${formatClock(new Date())}  waiting for a worker to pick the rotation up (is \`key-rotator worker\` running?)`,
        );
      }
    }
    // Retries show in the workflow's description even while no worker answers the query.
    await printer.retries(handle, connection, lastStatus?.step).catch(() => undefined);
  }
}
