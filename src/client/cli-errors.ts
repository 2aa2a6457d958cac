/**
 * How the CLI ends: exit 0 when it did what was asked, 2 when the input was wrong (nothing was
 * changed), 1 for every other failure.
 */
import { ConfigError, RotatorError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** The command line asked for something that cannot be done as asked (bad argument, unknown name). */
export class UsageError extends RotatorError {}

/** A rotation ran and failed; its own message says what happened. */
export class RotationFailedError extends RotatorError {}

export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? EXIT_BAD_INPUT : EXIT_FAILURE;
}
