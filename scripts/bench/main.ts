/**
 * `npm run bench`: every row of the fleet-scale table (issue "Fast at fleet scale"), each against
 * a baseline measured in the same run (A/B alternated, median [min–max]), printed as a Markdown
 * table to paste into docs/benchmarks.md. The 1,000-schedule rows are slow on a small machine:
 * pick rows and sizes with flags.
 *
 *   npm run bench -- [--rows help,list,apply,worker,fleet] [--fleet 100,500] [--runs 5] [--rate 20]
 *
 * Rows: help (`--help` vs `node -e 0`), list (1 and --fleet schedules vs `temporal schedule list`),
 * apply (first and unchanged, per --fleet size), worker (start-up and idle RSS), fleet (a burst of
 * --fleet rotations at --rate OpenRouter requests per second: use of the limit, busiest second, RSS).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { startBenchEnv } from './bench-env.js';
import { applyRows, helpRow, listRows } from './cli-rows.js';
import { fleetRows } from './fleet-rows.js';
import type { BenchRow } from './row.js';
import { workerRows } from './worker-rows.js';

const ALL_ROWS = ['help', 'list', 'apply', 'worker', 'fleet'] as const;
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
    if (rows.includes('help')) {
      log('help…');
      table.push(await helpRow(env, runs!));
    }
    // apply before list: list reuses the fleets apply made.
    if (rows.includes('apply')) {
      log(`apply ${sizes.join(', ')}…`);
      table.push(...(await applyRows(env, sizes, runs!)));
    }
    if (rows.includes('list')) {
      log(`list 1, ${sizes.join(', ')}…`);
      table.push(...(await listRows(env, sizes, runs!)));
    }
    if (rows.includes('worker')) {
      log('worker…');
      table.push(...(await workerRows(env, runs!)));
    }
    if (rows.includes('fleet')) {
      log(`fleet ${sizes.join(', ')} at ${rate}/s…`);
      table.push(...(await fleetRows(env, sizes, rate!)));
    }
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
  for (const row of table)
    console.log(
      `| ${row.what} | ${row.measured}${row.note ? ` (${row.note})` : ''} | ${row.goal} | ${row.met ? 'yes' : '**no**'} |`,
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
