/**
 * The compiled worker of the package layout as its own process (`node bin/key-rotator.js worker`),
 * as an operator runs it: started, timed to its first poll as the Temporal server sees it, its
 * resident memory read from /proc, stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { BENCH_CODEC_KEY, BENCH_SEALING_KEY, type BenchEnv } from './bench-env.js';

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

export interface WorkerProcess {
  pid: number;
  taskQueue: string;
  /** Spawn → the server first lists a poller of the worker's workflow task queue, in ms. */
  firstPollMs: number;
  /** What the worker printed so far (its start-up line, warnings). */
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  /** The task queue it polls. @default a new random one, so the first poller seen is this worker's */
  taskQueue?: string;
  /** More environment (management key variable, KEY_ROTATOR_POLICY, KEY_ROTATOR_OPENROUTER_RPS…). @default none */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the first poll. @default 120 s */
  timeoutMs?: number;
}

/** Whether the server has seen a poll on `taskQueue`'s workflow task queue. */
async function hasPoller(env: BenchEnv, namespace: string, taskQueue: string): Promise<boolean> {
  const { pollers } = await env.connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (pollers?.length ?? 0) > 0;
}

/**
 * Starts the compiled worker (unversioned, the bench's codec key) in `namespace` and resolves once
 * it polls. The first poll is read from the server (DescribeTaskQueue every 20 ms), not from the
 * worker's start-up line, which it prints just before its pollers start.
 */
export async function startWorkerProcess(
  env: BenchEnv,
  namespace: string,
  options: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const taskQueue = options.taskQueue ?? `bench-${randomBytes(3).toString('hex')}`;
  const started = performance.now();
  const child = spawn(process.execPath, [env.bin, 'worker'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: env.server.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
      KEY_ROTATOR_CODEC_KEY: BENCH_CODEC_KEY,
      KEY_ROTATOR_SEALING_KEY: BENCH_SEALING_KEY,
      KEY_ROTATOR_WORKER_VERSIONING: 'false',
      KEY_ROTATOR_TASK_QUEUE: taskQueue,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    const deadline = started + (options.timeoutMs ?? 120_000);
    for (;;) {
      if (exitCode !== undefined) throw new Error(`the worker exited ${exitCode} before polling:\n${output}`);
      if (await hasPoller(env, namespace, taskQueue)) break;
      if (performance.now() > deadline) throw new Error(`the worker did not poll in time:\n${output}`);
      await sleep(20);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    taskQueue,
    firstPollMs: performance.now() - started,
    output: () => output,
    stop,
  };
}
