/**
 * `npm run chaos -- [--rotations N] [--seed S] [--minutes M] [--keys K] [--files-only] [--out DIR]`:
 * a chaos run against the real worker, CLI and Temporal server (see driver.ts). Prints one table
 * of figures; exits 1 on any violation, 2 on bad arguments.
 */
import { CHAOS_USAGE, parseChaosArgs, type ChaosOptions } from './chaos-options.js';
import { runChaos } from './driver.js';
import { formatReport } from './report.js';

async function main(): Promise<void> {
  let options: ChaosOptions;
  try {
    options = parseChaosArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${CHAOS_USAGE}`);
    process.exitCode = 2;
    return;
  }
  const report = await runChaos({ ...options, log: (line) => console.error(`[chaos] ${line}`) });
  console.log(formatReport(report));
  process.exitCode = report.passed ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
