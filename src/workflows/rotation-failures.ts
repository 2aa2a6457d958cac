/**
 * Failures the workflow raises itself. Their type names come from the error classes of
 * src/errors/rotator-errors.ts (one definition), and they are created non-retryable where they are thrown: a
 * rotation that failed is reported, never re-run by Temporal.
 */
import { ApplicationFailure, rootCause, TemporalFailure } from '@temporalio/workflow';
import type { RotatorError } from '../errors/rotator-errors.js';
import { redact } from '../errors/redact.js';

/** An error class of src/errors/rotator-errors.ts whose constructor takes only a message. */
export type RotatorErrorClass = new (message: string) => RotatorError;

/** A failure of the workflow's own making, typed by `errorClass` (its message is redacted). */
export function workflowFailure(errorClass: RotatorErrorClass, message: string): ApplicationFailure {
  const error = new errorClass(message);
  return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true });
}

/** What went wrong, in words: the message of the innermost cause (an activity's own error). */
export function reasonOf(err: unknown): string {
  return rootCause(err) ?? String(err);
}

/**
 * The rotation's final failure: `message` says what state the rotation left behind, the type is
 * the one of the innermost cause (e.g. `DestinationApprovalPendingError`, `OldKeyUnconfirmedError`),
 * so a caller can tell failures apart without parsing the message.
 */
export function rotationFailure(message: string, cause: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: typeOfRootCause(cause),
    message: redact(message),
    nonRetryable: true,
  });
}

/** The type of the failure {@link rootCause} takes its message from. */
function typeOfRootCause(err: unknown): string {
  let innermost = err;
  while (innermost instanceof TemporalFailure && innermost.cause) innermost = innermost.cause;
  if (innermost instanceof ApplicationFailure && innermost.type) return innermost.type;
  return innermost instanceof Error ? innermost.name : 'Error';
}
