/**
 * How the CLI ends, one table for every command (README "Exit codes"):
 *
 * | code | meaning                                                                            |
 * |------|------------------------------------------------------------------------------------|
 * | 0    | did what was asked                                                                 |
 * | 1    | a failure: Temporal unreachable, a rotation failed, an unexpected error            |
 * | 2    | bad input, or refused: nothing was changed (bad argument or file, one already running, nothing to end) |
 * | 3    | not found: no rotation of that name (no schedule, no past or running rotation)     |
 * | 130  | stopped watching by Ctrl-C (`rotate --wait`, `watch`): the rotation goes on         |
 */
import { ConfigError, RotatorError } from '../errors/rotator-errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_NOT_FOUND = 3;
/** The shell's code for SIGINT: a script must not take a watch the user stopped for a success. */
export const EXIT_INTERRUPTED = 130;

/** The command line asked for something that cannot be done as asked (bad argument, bad file). */
export class UsageError extends RotatorError {}

/** The request was valid but refused as things stand (a rotation already running, none to end): nothing changed. */
export class RefusedError extends RotatorError {}

/** No rotation of that name exists: no schedule, no past and no running rotation. */
export class RotationNotFoundError extends RotatorError {}

/** A rotation ran and failed; its own message says what happened. */
export class RotationFailedError extends RotatorError {}

/** The user stopped watching a rotation (Ctrl-C); the rotation itself goes on. */
export class WatchStoppedError extends RotatorError {}

export function exitCodeFor(err: unknown): number {
  if (err instanceof RotationNotFoundError) return EXIT_NOT_FOUND;
  if (err instanceof WatchStoppedError) return EXIT_INTERRUPTED;
  if (err instanceof UsageError || err instanceof RefusedError || err instanceof ConfigError)
    return EXIT_BAD_INPUT;
  return EXIT_FAILURE;
}
