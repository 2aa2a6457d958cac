/**
 * The worker as a process: start-up (spawn → its first poll, as the server sees it) with the
 * prebuilt workflow bundle against bundling at start, what of it is Node and the SDK loading (the
 * same process only importing them), and its resident memory once idle.
 */
import { rename } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchEnv } from './bench-env.js';
import { describeSpread, ms, rotateThrough, runProcess, spread } from './measure.js';
import type { BenchRow } from './row.js';
import { rssMb, startWorkerProcess } from './worker-process.js';

interface WorkerStart {
  startMs: number;
  idleRssMb: number;
}

async function startWorker(env: BenchEnv, namespace: string, prebuilt: boolean): Promise<WorkerStart> {
  // Without its bundle beside it, the compiled worker bundles the workflows at start (the baseline).
  const hidden = `${env.workflowBundle}.hidden`;
  if (!prebuilt) await rename(env.workflowBundle, hidden);
  try {
    const worker = await startWorkerProcess(env, namespace);
    try {
      await sleep(3000);
      return { startMs: worker.firstPollMs, idleRssMb: rssMb(worker.pid) };
    } finally {
      await worker.stop();
    }
  } finally {
    if (!prebuilt) await rename(hidden, env.workflowBundle);
  }
}

/** A Node process that only imports `specifier` (from the package layout) and exits, in ms. */
async function importOnly(env: BenchEnv, specifier: string): Promise<number> {
  const run = await runProcess(
    process.execPath,
    ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`],
    { cwd: env.packageDir },
  );
  return run.ms;
}

export async function workerRows(env: BenchEnv, runs: number): Promise<BenchRow[]> {
  const namespace = await env.namespace('worker');
  const idle = { prebuilt: [] as number[], bundling: [] as number[] };
  const compiledWorker = path.join(env.packageDir, 'dist/worker/run-worker.js');
  const [prebuilt, bundling, nodeAlone, sdkImport, workerImport] = await rotateThrough(Math.min(runs, 5), [
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
    async () => (await runProcess(process.execPath, ['-e', '0'])).ms,
    () => importOnly(env, '@temporalio/worker'),
    () => importOnly(env, compiledWorker),
  ]);
  const mb = (v: number) => `${Math.round(v)} MB`;
  const idlePrebuilt = spread(idle.prebuilt);
  const share = (part: number) => `${Math.round((100 * part) / prebuilt!.median)} %`;
  return [
    {
      what: 'worker start-up (spawn → first poll seen by the server), prebuilt bundle vs bundling at start',
      measured: `${describeSpread(prebuilt!)} vs ${describeSpread(bundling!)}`,
      goal: '≤ 1 s',
      met: prebuilt!.median <= 1000,
      note: 'the compiled worker of the package layout, no work in the queue',
    },
    {
      what: 'worker start-up, the part that is loading: `node -e 0` / a process importing `@temporalio/worker` / importing the compiled worker module (dist/worker/run-worker.js, no connection)',
      measured:
        `${describeSpread(nodeAlone!)} / ${describeSpread(sdkImport!)} / ${describeSpread(workerImport!)} ` +
        `(${share(nodeAlone!.median)} / ${share(sdkImport!.median)} / ${share(workerImport!.median)} of the start-up's ${ms(prebuilt!.median)})`,
      goal: 'baseline',
    },
    {
      what: 'worker RSS idle, prebuilt bundle vs bundling at start',
      measured: `${describeSpread(idlePrebuilt, mb)} vs ${describeSpread(spread(idle.bundling), mb)}`,
      goal: '≤ 200 MB',
      met: idlePrebuilt.median <= 200,
    },
  ];
}
