/**
 * A/B measurement: a subject and its baseline, run alternately in the same process so that load on
 * the machine falls on both alike; each figure is a median with its spread.
 */
import { spawn } from 'node:child_process';

export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function spread(samples: number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, samples };
}

/** `fn`'s wall time in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Runs `a` and `b` alternately `runs` times each (a, b, b, a, a, b, …: neither always goes first). */
export async function alternate(
  runs: number,
  a: (run: number) => Promise<number>,
  b: (run: number) => Promise<number>,
): Promise<{ a: Spread; b: Spread }> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let run = 0; run < runs; run++) {
    if (run % 2 === 0) {
      as.push(await a(run));
      bs.push(await b(run));
    } else {
      bs.push(await b(run));
      as.push(await a(run));
    }
  }
  return { a: spread(as), b: spread(bs) };
}

/**
 * Runs every subject once per run, `runs` times, starting each run one subject further on (a, b, c;
 * b, c, a; …), so that no subject always goes first. Returns one spread per subject, in order.
 */
export async function rotateThrough(
  runs: number,
  subjects: ((run: number) => Promise<number>)[],
): Promise<Spread[]> {
  const samples = subjects.map(() => [] as number[]);
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < subjects.length; i++) {
      const subject = (run + i) % subjects.length;
      samples[subject]!.push(await subjects[subject]!(run));
    }
  }
  return samples.map(spread);
}

/** The highest sample and what was going on when it was taken. */
export class PeakTracker<Context> {
  peak = -Infinity;
  context: Context | undefined;
  samples = 0;

  add(value: number, context: Context): void {
    this.samples++;
    if (value > this.peak) {
      this.peak = value;
      this.context = context;
    }
  }
}

export interface ProcessRun {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; fails (with its output) on a non-zero exit unless `allowFailure`. */
export function runProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; allowFailure?: boolean } = {},
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const run = { ms: performance.now() - started, code: code ?? -1, stdout, stderr };
      if (run.code !== 0 && !options.allowFailure)
        reject(new Error(`${command} ${args.join(' ')} exited ${run.code}:\n${stderr || stdout}`));
      else resolve(run);
    });
  });
}

export function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** `median [min–max]` in ms or s. */
export function describeSpread(s: Spread, unit: (v: number) => string = ms): string {
  return `${unit(s.median)} [${unit(s.min)}–${unit(s.max)}]`;
}
