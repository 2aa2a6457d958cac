/**
 * Retries as they happen: a rotation's activity that failed and waits for its next attempt shows
 * up in the workflow's description (pending activities: attempt, last failure, next attempt
 * time), long before the rotation itself ends. `rotate --wait` and `npm start` print one line per
 * failed attempt from it, so a destination that cannot be written is seen at once, not after the
 * retries are used up.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { rootCause } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { redact } from '../../errors/redact.js';

/** One failed attempt of a pending activity, with when the next one starts. */
export interface FailedAttempt {
  activityId: string;
  /** The activity's function name, e.g. writeDestination. */
  activity: string;
  /** The number of the attempt that failed (1 = the first). */
  attempt: number;
  /** Its failure message, decrypted by the client's data converter. */
  reason: string;
  /** When the next attempt is scheduled; undefined when none is (e.g. it is already running). */
  nextAttemptAt?: Date;
}

/** The failed attempts of `handle`'s run that still wait for, or are in, their next attempt. */
export async function failedAttempts(handle: WorkflowHandle): Promise<FailedAttempt[]> {
  const description = await handle.describe();
  const converter = handle.client.options.loadedDataConverter;
  const attempts: FailedAttempt[] = [];
  for (const pending of description.raw.pendingActivities ?? []) {
    // `attempt` is the attempt under way or scheduled next; the one before it is the one that failed.
    if (!pending.lastFailure || (pending.attempt ?? 0) < 2) continue;
    const error = await decodeOptionalFailureToOptionalError(converter, pending.lastFailure).catch(
      () => undefined,
    );
    const next = pending.nextAttemptScheduleTime ? tsToMs(pending.nextAttemptScheduleTime) : undefined;
    attempts.push({
      activityId: pending.activityId ?? '',
      activity: pending.activityType?.name ?? 'activity',
      attempt: (pending.attempt ?? 2) - 1,
      reason: redact((error && rootCause(error)) ?? error?.message ?? 'no reason given'),
      ...(next !== undefined && { nextAttemptAt: new Date(next) }),
    });
  }
  return attempts;
}

/** Remembers which failed attempts were reported, so that each is printed once. */
export class RetryReporter {
  readonly #reported = new Set<string>();

  /** The attempts of `attempts` not reported before. */
  news(attempts: FailedAttempt[]): FailedAttempt[] {
    return attempts.filter((a) => {
      const key = `${a.activityId}#${a.attempt}`;
      if (this.#reported.has(key)) return false;
      this.#reported.add(key);
      return true;
    });
  }
}

/** `store: attempt 3 failed: <reason>, retrying in 4 s` (the step, or the activity, names it). */
export function describeFailedAttempt(attempt: FailedAttempt, step: string | undefined, now: Date): string {
  const waitMs = attempt.nextAttemptAt ? attempt.nextAttemptAt.getTime() - now.getTime() : undefined;
  const retrying =
    waitMs === undefined || waitMs <= 500 ? 'retrying now' : `retrying in ${Math.round(waitMs / 1000)} s`;
  return `${step ?? attempt.activity}: attempt ${attempt.attempt} failed: ${attempt.reason}, ${retrying}`;
}
