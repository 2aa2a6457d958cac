/**
 * `npm run chaos:year -- [--rotations N] [--seed S] [--out DIR]`: a year of schedules on a real
 * Temporal dev server (see year-of-schedules.ts). Prints the year table; exits 1 on any
 * violation, 2 on bad arguments.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTemporalCli } from '../../src/dev/temporal-cli.js';
import { formatYearReport, runYearOfSchedules } from './year-of-schedules.js';

const USAGE = 'usage: npm run chaos:year -- [--rotations N] [--seed S] [--out DIR]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { rotations: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const rotations = values.rotations === undefined ? 100 : Number(values.rotations);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(rotations) || rotations < 1 || !Number.isSafeInteger(seed)) {
    console.error(`--rotations must be a positive whole number and --seed an integer\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const outDir = path.resolve(values.out ?? path.join('.tmp', 'chaos', `year-seed${seed}`));
  const report = await runYearOfSchedules({
    rotations,
    seed,
    cliPath: await ensureTemporalCli(),
    outDir,
    log: (line) => console.error(`[year] ${line}`),
  });
  console.log(formatYearReport(report));
  process.exitCode = report.violations === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
