/**
 * The worker's memory with N rotations in flight at once, in the worker process alone: the
 * compiled worker runs as its own process, N rotations with a grace period longer than the run
 * start together, and its RSS is read every 250 ms from /proc until all of them are parked in their
 * grace timer (the state a fleet's rotations spend nearly all their time in).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import { createRotatorDataConverter } from '../../src/codec/data-converter.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { rotationSchema } from '../../src/config/schema.js';
import { rotationWorkflow } from '../../src/workflows/index.js';
import { rotationNameKey, rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { BENCH_CODEC_KEY, type BenchEnv } from './bench-env.js';
import { emulatedRotations } from './emulated-rotations.js';
import { PeakTracker, spread } from './measure.js';
import type { BenchRow } from './row.js';
import { rssMb, startWorkerProcess } from './worker-process.js';

/** Longer than any bench run: no rotation leaves its grace timer while it is measured. */
const GRACE = '2h';
/** OpenRouter requests per second the worker may make: high, so that N rotations reach grace soon. */
const RATE = 200;
const SAMPLE_MS = 250;

interface MemoryRun {
  idleMb: number;
  peakMb: number;
  /** Started and not closed, when the peak was sampled. */
  inFlightAtPeak: number;
  /** Parked in their grace timer (as visibility last said) when the peak was sampled. */
  inGraceAtPeak: number;
  /** Parked in grace at the end of the measurement. */
  inGraceAtEnd: number;
  seconds: number;
}

async function concurrentRotations(
  env: BenchEnv,
  size: number,
  log: (line: string) => void,
): Promise<MemoryRun> {
  const rotations = await emulatedRotations(env, `memory${size}`);
  const namespace = await env.namespace(`memory${size}`);
  const worker = await startWorkerProcess(env, namespace, {
    env: { ...rotations.workerEnv, KEY_ROTATOR_OPENROUTER_RPS: String(RATE) },
  });
  try {
    // Idle: settled after start-up, before any work.
    await sleep(3000);
    const idle: number[] = [];
    for (let i = 0; i < 8; i++, await sleep(SAMPLE_MS)) idle.push(rssMb(worker.pid));

    const configs = [];
    for (let i = 0; i < size; i++) {
      const name = `memory-${i}`;
      await rotations.adoptKey(name);
      configs.push(rotationSchema.parse(rotations.rotation(name, GRACE)));
    }
    const client = new Client({
      connection: env.connection,
      namespace,
      dataConverter: await createRotatorDataConverter({ keyring: parseKeyring(BENCH_CODEC_KEY, 'bench') }),
    });
    const state = { started: 0, closed: 0, inGrace: 0 };
    const peak = new PeakTracker<{ inFlight: number; inGrace: number }>();
    const sampler = setInterval(
      () => peak.add(rssMb(worker.pid), { inFlight: state.started - state.closed, inGrace: state.inGrace }),
      SAMPLE_MS,
    );
    const began = performance.now();
    try {
      await Promise.all(
        configs.map(async (rotation) => {
          await client.workflow.start(rotationWorkflow, {
            taskQueue: worker.taskQueue,
            workflowId: rotationWorkflowId(rotation.name),
            args: [{ rotation }],
            typedSearchAttributes: [{ key: rotationNameKey, value: rotation.name }],
          });
          state.started++;
        }),
      );
      // Until every rotation waits in grace (then a few seconds more), or the time a slow machine gets.
      const deadline = began + 60_000 + size * 500;
      let allParkedAt: number | undefined;
      while (performance.now() < deadline) {
        await sleep(2000);
        state.inGrace = (
          await client.workflow.count('RotationStep = "grace" AND ExecutionStatus = "Running"')
        ).count;
        state.closed = (await client.workflow.count('ExecutionStatus != "Running"')).count;
        log(
          `memory ${size}: ${state.inGrace} in grace, ${state.closed} closed, worker ${Math.round(rssMb(worker.pid))} MB`,
        );
        if (state.inGrace + state.closed >= size) allParkedAt ??= performance.now();
        if (allParkedAt !== undefined && performance.now() - allParkedAt >= 5000) break;
      }
    } finally {
      clearInterval(sampler);
    }
    return {
      idleMb: spread(idle).median,
      peakMb: peak.peak,
      inFlightAtPeak: peak.context?.inFlight ?? 0,
      inGraceAtPeak: peak.context?.inGrace ?? 0,
      inGraceAtEnd: state.inGrace,
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await worker.stop();
    await rotations.stop();
  }
}

export async function memoryRows(
  env: BenchEnv,
  sizes: number[],
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const run = await concurrentRotations(env, size, log);
    rows.push({
      what: `worker RSS idle / peak with ${size} concurrent rotations, in the worker process alone`,
      measured:
        `${Math.round(run.idleMb)} MB / ${Math.round(run.peakMb)} MB (peak with ${run.inFlightAtPeak} in flight, ` +
        `${run.inGraceAtPeak} of them parked in grace; ${run.inGraceAtEnd} of ${size} in grace after ${run.seconds.toFixed(0)} s)`,
      goal: '≤ 200 MB / ≤ 400 MB at 1,000',
      met: run.idleMb <= 200 && run.peakMb <= 400 && run.inGraceAtEnd === size,
      note: `compiled worker, prebuilt bundle, OpenRouter ≤ ${RATE} req/s, RSS every ${SAMPLE_MS} ms`,
    });
  }
  return rows;
}
