/**
 * The worker as a process: start-up (spawn → "polling task queue") with the prebuilt workflow
 * bundle against bundling at start, and its resident memory once idle.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchEnv } from './bench-env.js';
import { BENCH_CODEC_KEY } from './bench-env.js';
import { alternate, describeSpread, spread } from './measure.js';
import type { BenchRow } from './row.js';

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

interface WorkerStart {
  startMs: number;
  idleRssMb: number;
}

async function startWorker(env: BenchEnv, namespace: string, prebuilt: boolean): Promise<WorkerStart> {
  // Without its bundle beside it, the compiled worker bundles the workflows at start (the baseline).
  const hidden = `${env.workflowBundle}.hidden`;
  if (!prebuilt) await rename(env.workflowBundle, hidden);
  try {
    return await runWorkerOnce(env, namespace);
  } finally {
    if (!prebuilt) await rename(hidden, env.workflowBundle);
  }
}

async function runWorkerOnce(env: BenchEnv, namespace: string): Promise<WorkerStart> {
  const started = performance.now();
  const child = spawn(process.execPath, [env.bin, 'worker'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: env.server.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
      KEY_ROTATOR_CODEC_KEY: BENCH_CODEC_KEY,
      KEY_ROTATOR_WORKER_VERSIONING: 'false',
      KEY_ROTATOR_TASK_QUEUE: `bench-${Math.random().toString(36).slice(2, 8)}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    const startMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not poll in 120 s:\n${output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/polling task queue/.test(output)) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`worker exited ${code}:\n${output}`)));
    });
    await sleep(3000);
    return { startMs, idleRssMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
  }
}

export async function workerRows(env: BenchEnv, runs: number): Promise<BenchRow[]> {
  const namespace = await env.namespace('worker');
  const idle = { prebuilt: [] as number[], bundling: [] as number[] };
  const { a, b } = await alternate(
    Math.min(runs, 5),
    async () => {
      const run = await startWorker(env, namespace, true);
      idle.prebuilt.push(run.idleRssMb);
      return run.startMs;
    },
    async () => {
      const run = await startWorker(env, namespace, false);
      idle.bundling.push(run.idleRssMb);
      return run.startMs;
    },
  );
  const mb = (v: number) => `${Math.round(v)} MB`;
  const idlePrebuilt = spread(idle.prebuilt);
  return [
    {
      what: 'worker start-up (spawn → polling), prebuilt bundle vs bundling at start',
      measured: `${describeSpread(a)} vs ${describeSpread(b)}`,
      goal: '≤ 1 s',
      met: a.median <= 1000,
      note: 'includes Node start and loading the compiled worker (no work in the queue)',
    },
    {
      what: 'worker RSS idle, prebuilt bundle vs bundling at start',
      measured: `${describeSpread(idlePrebuilt, mb)} vs ${describeSpread(spread(idle.bundling), mb)}`,
      goal: '≤ 200 MB',
      met: idlePrebuilt.median <= 200,
    },
  ];
}
