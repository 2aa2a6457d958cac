/**
 * What a chaos run is asked to do, and how `npm run chaos -- [options]` says it.
 */
import { parseArgs } from 'node:util';

export interface ChaosOptions {
  /** Rotations to run in all, across the managed keys. @default 20 */
  rotations?: number;
  /** Seed of every random choice: kill moments, fault draws, the server restart moment. @default 1 */
  seed?: number;
  /**
   * Time budget: no rotation starts after this many minutes; finishing fewer rotations than asked
   * is a violation (a rotator that stalls under faults is not trustworthy). @default 30
   */
  minutes?: number;
  /** Extra minutes the rotations running at the budget's end get to finish. @default 5 */
  drainMinutes?: number;
  /** Managed keys rotating side by side, each one rotation at a time. @default min(20, ceil(rotations / 2)) */
  keys?: number;
  /** Use Vault (OpenBao) and AWS (moto) destinations too, when installed. @default true */
  externalDestinations?: boolean;
  /** Folder for the run's files (logs, database, config). @default .tmp/chaos/<time>-seed<seed> */
  outDir?: string;
  /** The temporal CLI. @default what scripts/ensure-temporal-cli.sh finds or installs */
  temporalCliPath?: string;
  /** Progress lines (the run's log has more). @default none */
  log?: (line: string) => void;
}

export const CHAOS_USAGE =
  'usage: npm run chaos -- [--rotations N] [--seed S] [--minutes M] [--keys K] [--files-only] [--out DIR]';

function positiveNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} ${raw}: expected a positive number`);
  return value;
}

function positiveInteger(name: string, raw: string | undefined): number | undefined {
  const value = positiveNumber(name, raw);
  if (value !== undefined && !Number.isInteger(value))
    throw new Error(`--${name} ${raw}: expected a whole number`);
  return value;
}

/** Parses the command line (arguments after `--`); throws with a clear message on bad input. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rotations: { type: 'string' },
      seed: { type: 'string' },
      minutes: { type: 'string' },
      keys: { type: 'string' },
      'files-only': { type: 'boolean' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed))
    throw new Error(`--seed ${values.seed}: expected an integer`);
  return {
    rotations: positiveInteger('rotations', values.rotations),
    seed,
    minutes: positiveNumber('minutes', values.minutes),
    keys: positiveInteger('keys', values.keys),
    externalDestinations: values['files-only'] ? false : undefined,
    outDir: values.out,
  };
}

/** The command line that repeats a run with these options. */
export function chaosCommand(
  options: Required<Pick<ChaosOptions, 'rotations' | 'seed' | 'minutes' | 'keys'>> & ChaosOptions,
): string {
  const parts = [
    `--rotations ${options.rotations}`,
    `--seed ${options.seed}`,
    `--minutes ${options.minutes}`,
    `--keys ${options.keys}`,
  ];
  if (options.externalDestinations === false) parts.push('--files-only');
  return `npm run chaos -- ${parts.join(' ')}`;
}
