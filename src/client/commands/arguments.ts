/** Checks of command-line arguments shared by several commands; bad input ends with exit code 2. */
import { InvalidArgumentError } from 'commander';
import { tryParseDuration } from '../../fields/duration.js';
import { rotationSchema } from '../../config/schema.js';
import { UsageError } from '../cli-errors.js';

/** A rotation name as the file defines it (a slug). */
export function checkRotationName(name: string): string {
  if (!rotationSchema.shape.name.safeParse(name).success) {
    throw new UsageError(
      `"${name}" is not a rotation name: expected a slug (lowercase letters, digits and dashes), e.g. checkout-prod`,
    );
  }
  return name;
}

/** commander argument parser for a positive whole number. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

/** commander argument parser for a duration such as 24h, 30m, 0s. */
export function durationArgument(value: string): string {
  if (tryParseDuration(value) === undefined) {
    throw new InvalidArgumentError('expected a duration such as 24h, 30m, 1h30m or 0s');
  }
  return value;
}

/** commander argument parser for a TCP port (0 = any free one). */
export function tcpPort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('expected a TCP port, 0–65535');
  return n;
}
