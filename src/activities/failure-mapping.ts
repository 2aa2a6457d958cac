/**
 * Turns our typed errors into Temporal failures the retry policy understands: the error's class
 * name becomes the failure type, `retryable: false` becomes non-retryable, and a server's
 * Retry-After becomes `nextRetryDelay`. Unknown errors stay retryable, with a redacted message.
 * This is the one place an activity failure's retryability is decided: the workflow's retry
 * policies list no type names, so an error's own `retryable` flag always has the last word.
 */
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { RotatorError } from '../errors/rotator-errors.js';
import { redact } from '../errors/redact.js';

export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof RotatorError) {
    return ApplicationFailure.create({
      type: err.name,
      message: err.message,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryable && err.retryAfterMs !== undefined ? err.retryAfterMs : undefined,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: err instanceof Error ? err.name : 'Error',
    message: redact(message),
    nonRetryable: false,
  });
}

/** How often a running activity tells Temporal it is alive (the workflow's heartbeat timeout is 20 s). */
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Wraps every function of an activity object so its errors are mapped as above, and so it
 * heartbeats while it runs: a worker that dies mid-call is noticed in seconds, not at the
 * start-to-close timeout.
 */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await fn(...args);
      } catch (err) {
        throw toApplicationFailure(err);
      } finally {
        clearInterval(beat);
      }
    };
  }
  return wrapped as T;
}
