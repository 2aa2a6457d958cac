/**
 * Rows about the command line: `--help` against `node -e 0`, `list` against the Go `temporal
 * schedule list`, and `apply` of a fleet (first, and again unchanged) against the same schedule
 * creations made one by one by a bare SDK client.
 */
import { Client, Connection } from '@temporalio/client';
import { rotationScheduleOptions } from '../../src/client/schedules/rotation-schedule.js';
import { createRotatorDataConverter } from '../../src/codec/data-converter.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ROTATION_TASK_QUEUE } from '../../src/workflow-contract/messages.js';
import { BENCH_CODEC_KEY, type BenchEnv } from './bench-env.js';
import { alternate, describeSpread, runProcess, spread, timed, type Spread } from './measure.js';
import type { BenchRow } from './row.js';

function ratioRow(what: string, goal: string, a: Spread, b: Spread, goalRatio: number): BenchRow {
  const ratio = a.median / b.median;
  return {
    what,
    measured: `${describeSpread(a)} vs ${describeSpread(b)}: ${ratio.toFixed(1)}×`,
    goal,
    met: ratio <= goalRatio,
  };
}

export async function helpRow(env: BenchEnv, runs: number): Promise<BenchRow> {
  const { a, b } = await alternate(
    runs,
    async () => (await runProcess(process.execPath, [env.bin, '--help'])).ms,
    async () => (await runProcess(process.execPath, ['-e', '0'])).ms,
  );
  return ratioRow('`key-rotator --help` (bin, compiled) vs `node -e 0`', '≤ 3×', a, b, 3);
}

/** The namespace of a fleet of `size` applied schedules, made once per size and shared by the rows. */
const fleets = new Map<number, { namespace: string; file: string }>();

async function appliedFleet(env: BenchEnv, size: number) {
  let fleet = fleets.get(size);
  if (!fleet) {
    const namespace = await env.namespace(`fleet${size}`);
    const file = await env.fleetFile(`r${size}`, size);
    await env.keyRotator(namespace, ['apply', '-f', file]);
    fleet = { namespace, file };
    fleets.set(size, fleet);
  }
  return fleet;
}

export async function listRows(env: BenchEnv, sizes: number[], runs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of [1, ...sizes]) {
    const { namespace } = await appliedFleet(env, size);
    const { a, b } = await alternate(
      size >= 500 ? Math.min(runs, 3) : runs,
      async () => (await env.keyRotator(namespace, ['list', '--json'])).ms,
      async () => (await env.temporal(namespace, ['schedule', 'list'])).ms,
    );
    const goal = size === 1 ? 4 : 3;
    rows.push(
      ratioRow(`\`list\`, ${size} schedule(s), vs \`temporal schedule list\``, `≤ ${goal}×`, a, b, goal),
    );
  }
  return rows;
}

/** The same creations `apply` makes, one by one from a bare SDK client in this process. */
async function createOneByOne(env: BenchEnv, namespace: string, file: string): Promise<number> {
  const config = await loadConfig(file);
  const connection = await Connection.connect({ address: env.server.address });
  try {
    const keyring = parseKeyring(BENCH_CODEC_KEY, 'bench');
    const client = new Client({
      connection,
      namespace,
      dataConverter: await createRotatorDataConverter({ keyring }),
    });
    return await timed(async () => {
      for await (const _ of client.schedule.list()) break;
      for (const rotation of config.rotations)
        await client.schedule.create(rotationScheduleOptions(rotation, ROTATION_TASK_QUEUE));
    });
  } finally {
    await connection.close();
  }
}

export async function applyRows(env: BenchEnv, sizes: number[], runs: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const file = await env.fleetFile(`a${size}`, size);
    const first = await alternate(
      size >= 500 ? 1 : Math.min(runs, 3),
      async () => (await env.keyRotator(await env.namespace(`apply${size}`), ['apply', '-f', file])).ms,
      async () => createOneByOne(env, await env.namespace(`sdk${size}`), file),
    );
    rows.push({
      what: `\`apply\` of ${size} rotations, first (vs the same creations one by one, bare SDK)`,
      measured: `${describeSpread(first.a)} vs ${describeSpread(first.b)}: ${(first.a.median / first.b.median).toFixed(2)}×`,
      goal: `≤ ${(15 * size) / 1000} s (15 s per 1,000)`,
      met: first.a.median <= 15 * size,
    });
    const { namespace, file: applied } = await appliedFleet(env, size);
    const again: number[] = [];
    for (let run = 0; run < Math.min(runs, 3); run++)
      again.push((await env.keyRotator(namespace, ['apply', '-f', applied])).ms);
    const unchanged = spread(again);
    rows.push({
      what: `\`apply\` of the same ${size} again (no change)`,
      measured: describeSpread(unchanged),
      goal: `≤ ${(3 * size) / 1000} s (3 s per 1,000)`,
      met: unchanged.median <= 3 * size,
    });
  }
  return rows;
}
