/**
 * Errors are values with a type name (the class name, which becomes the Temporal failure type), a
 * verdict on whether retrying can help, and a message (always redacted) that tells the user what to
 * do next. The `retryable` flag is the one place retryability is decided: activities map it to a
 * non-retryable failure (src/activities/failure-mapping.ts); retry policies list no type names.
 */
import { redact } from './redact.js';

export interface RotatorErrorOptions {
  /** Whether retrying the same call can succeed. @default false */
  retryable?: boolean;
  /** Server-suggested wait before the next attempt (from Retry-After), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class RotatorError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RotatorErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The configuration or a credential reference is wrong; fixing the config is the only remedy. */
export class ConfigError extends RotatorError {}

/**
 * A rotation (or an activity's input) asks for something the worker's policy does not allow: a
 * host to send a credential to, a variable or file to read, a file to write. Nothing was sent or
 * written; only a changed rotation, or the operator changing the policy, can help.
 */
export class PolicyViolationError extends ConfigError {}

/** A secret destination failed. `destination` names it (kind and target, never a value). */
export class DestinationError extends RotatorError {
  constructor(
    readonly destination: string,
    message: string,
    options: RotatorErrorOptions = {},
  ) {
    super(`${destination}: ${message}`, options);
  }
}

/** Someone else changed the destination while we were writing (e.g. a Vault check-and-set mismatch). */
export class DestinationConflictError extends DestinationError {}

/** The destination rejected our credentials or permissions (401/403). */
export class DestinationAuthError extends DestinationError {}

/**
 * The destination holds something that is not an OpenRouter key (another secret the config points
 * at by mistake, a placeholder): it is never replaced, and no message shows any part of it.
 */
export class NotAnOpenRouterKeyError extends DestinationError {}

/** The write is waiting for a human approval (Infisical change policy): not a success. */
export class DestinationApprovalPendingError extends DestinationError {}

/** Destinations disagree about the current key, or the old key cannot be confirmed at OpenRouter. */
export class OldKeyUnconfirmedError extends RotatorError {}

/** Verification of the new key or a destination failed after the switch. */
export class VerificationError extends RotatorError {}

/**
 * A sealed key was presented outside the context it was sealed for (another rotation, another
 * workflow, the other purpose), was altered, or is in a format that is not bound to a context.
 * Retrying cannot help: the input itself is wrong.
 */
export class SealedSecretMismatchError extends RotatorError {}

/**
 * A lifecycle event could not be delivered to a notification sink. `sink` names it (`webhook #1`,
 * never a URL: a Slack URL is a secret). It never fails a rotation: delivery runs on its own.
 */
export class NotificationError extends RotatorError {
  constructor(
    readonly sink: string,
    message: string,
    options: RotatorErrorOptions = {},
  ) {
    super(`notification sink ${sink}: ${message}`, options);
  }
}
