/**
 * `npm run bench`: every row of the fleet-scale table (issue "Fast at fleet scale"), each against
 * a baseline measured in the same run (A/B alternated, median [min–max]), printed as a Markdown
 * table to paste into docs/benchmarks.md. The 1,000-schedule rows are slow on a small machine:
 * pick rows and sizes with flags.
 *
 *   npm run bench -- [--rows help,list,apply,worker,rotate,memory,fleet] [--fleet 100,500] [--runs 5] [--rate 20]
 *
 * Rows: help (`--help` vs `node -e 0`), list (1 and --fleet schedules vs `temporal schedule list`),
 * apply (first and unchanged, per --fleet size), worker (start-up, what of it is loading, idle
 * RSS), rotate (`rotate --wait` vs a bare script making the same calls, and the calls per
 * rotation), memory (the worker process's idle and peak RSS with --fleet rotations in flight),
 * fleet (a burst of --fleet rotations at --rate OpenRouter requests per second: use of the limit,
 * busiest second). How long each part took goes to stderr as it ends.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { startBenchEnv } from './bench-env.js';
import { applyRows, helpRow, listRows } from './cli-rows.js';
import { fleetRows } from './fleet-rows.js';
import { memoryRows } from './memory-rows.js';
import { rotateRows } from './rotate-rows.js';
import type { BenchRow } from './row.js';
import { workerRows } from './worker-rows.js';

const ALL_ROWS = ['help', 'list', 'apply', 'worker', 'rotate', 'memory', 'fleet'] as const;
type RowName = (typeof ALL_ROWS)[number];

function numbers(text: string, flag: string): number[] {
  const values = text.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v <= 0))
    throw new Error(`--${flag} ${text}: expected positive whole numbers separated by commas`);
  return values;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: ALL_ROWS.join(',') },
      fleet: { type: 'string', default: '100' },
      runs: { type: 'string', default: '5' },
      rate: { type: 'string', default: '20' },
    },
  });
  const rows = values.rows.split(',') as RowName[];
  const unknown = rows.filter((r) => !ALL_ROWS.includes(r));
  if (unknown.length > 0)
    throw new Error(`--rows: unknown ${unknown.join(', ')} (known: ${ALL_ROWS.join(', ')})`);
  const sizes = numbers(values.fleet, 'fleet');
  const [runs] = numbers(values.runs, 'runs');
  const [rate] = numbers(values.rate, 'rate');
  const log = (line: string) => console.error(`bench: ${line}`);

  // Workers run in this process for the fleet rows: their warnings (slow tasks on a busy machine) would bury the table.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  const env = await startBenchEnv(log);
  const table: BenchRow[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    /** Runs one part of the bench if it was asked for, and says on stderr how long it took. */
    const part = async (row: RowName, what: string, measure: () => Promise<BenchRow[]>) => {
      if (!rows.includes(row)) return;
      log(`${what}…`);
      const started = performance.now();
      const measured = await measure();
      table.push(...measured);
      for (const row of measured) log(markdownRow(row));
      log(`${row}: ${measured.length} row(s) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    };
    await part('help', 'help', async () => [await helpRow(env, runs!)]);
    // apply before list: list reuses the fleets apply made.
    await part('apply', `apply ${sizes.join(', ')}`, () => applyRows(env, sizes, runs!));
    await part('list', `list 1, ${sizes.join(', ')}`, () => listRows(env, sizes, runs!));
    await part('worker', 'worker', () => workerRows(env, runs!));
    await part('rotate', 'rotate --wait', () => rotateRows(env, runs!));
    await part('memory', `memory ${sizes.join(', ')}`, () => memoryRows(env, sizes, log));
    await part('fleet', `fleet ${sizes.join(', ')} at ${rate}/s`, () => fleetRows(env, sizes, rate!));
  } finally {
    await env.stop();
  }

  const cpu = cpus();
  console.log(
    `\nMachine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB, ` +
      `Node ${process.version}; commit ${env.commit}; load average ${loadBefore.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end; ` +
      `${new Date().toISOString()}\n`,
  );
  console.log('| what | measured (median [min–max]) | goal | met |');
  console.log('|---|---|---|---|');
  for (const row of table) console.log(markdownRow(row));
}

function markdownRow(row: BenchRow): string {
  const met = row.met === undefined ? '—' : row.met ? 'yes' : '**no**';
  return `| ${row.what} | ${row.measured}${row.note ? ` (${row.note})` : ''} | ${row.goal} | ${met} |`;
}

main().then(
  // The SDK's native runtime (installed above) keeps the event loop alive after a run of only the
  // CLI rows; the table is printed and every server stopped by now.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
