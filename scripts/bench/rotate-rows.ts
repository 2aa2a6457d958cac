/**
 * One rotation on demand: `key-rotator rotate --wait` (grace 0, every OpenRouter answer delayed
 * 150 ms by the emulator, the compiled worker already polling in its own process) against a bare
 * script making the same HTTP calls and writing the same dotenv file, as whole processes and as
 * the workflow's start → close against the bare calls alone; and how many calls a rotation makes.
 * The calls are taken from the emulator's log of one real rotation, not written down here.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { stringify } from 'yaml';
import { labelOfKey } from '../../src/errors/redact.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import type { BenchEnv } from './bench-env.js';
import {
  callCount,
  callPlan,
  describeCalls,
  type Bearer,
  type CallPlan,
  type ObservedCall,
} from './call-plan.js';
import { emulatedRotations, KEY_LINE, type EmulatedRotations } from './emulated-rotations.js';
import { alternate, describeSpread, runProcess, spread } from './measure.js';
import type { BenchRow } from './row.js';
import { startWorkerProcess } from './worker-process.js';

/** The emulator's delay before every answer, as the row sets it. */
const LATENCY_MS = 150;
/** The fewest calls a rotation can make (the table): look up the old key, create, verify, delete, and one read. */
const MINIMUM_CALLS = 5;
const NAME = 'bench-rotate';
const BARE_ROTATION = fileURLToPath(new URL('./bare-rotation.js', import.meta.url));

/** `GET /api/v1/keys/… 200 by management key (key …)` → who sent it (see EmulatorOptions.onRequestLine). */
function bearerOf(line: string, keys: { old: string; new: string }): Bearer {
  const who = / by (.+?)(?: \(key [^)]*\))?$/.exec(line)?.[1];
  if (who === 'management key') return 'management';
  if (who === labelOfKey(keys.new)) return 'new';
  if (who === labelOfKey(keys.old)) return 'old';
  throw new Error(`a rotation's request came from neither the management key nor its keys: ${line}`);
}

/** Counts every API request and keeps the lines of the ones made while `recording`. */
class RequestRecorder {
  count = 0;
  lines: string[] | undefined;
  readonly onRequestLine = (line: string) => {
    this.count++;
    this.lines?.push(line);
  };
}

async function currentKey(rotations: EmulatedRotations): Promise<string> {
  const key = KEY_LINE.exec(await readFile(rotations.destination(NAME), 'utf8'))?.[1];
  if (!key) throw new Error(`${rotations.destination(NAME)} holds no key`);
  return key;
}

export async function rotateRows(env: BenchEnv, runs: number): Promise<BenchRow[]> {
  const recorder = new RequestRecorder();
  const rotations = await emulatedRotations(env, 'rotate', {
    faults: { latencyMs: LATENCY_MS },
    onRequestLine: recorder.onRequestLine,
  });
  const namespace = await env.namespace('rotate');
  // A rate that never binds: the rows measure the product's own cost, not the limiter's.
  const worker = await startWorkerProcess(env, namespace, {
    env: { ...rotations.workerEnv, KEY_ROTATOR_OPENROUTER_RPS: '1000' },
  });
  try {
    const file = path.join(rotations.dir, 'rotations.yaml');
    await writeFile(file, stringify({ version: 1, rotations: [rotations.rotation(NAME, '0s')] }));
    const old = await rotations.adoptKey(NAME);
    const client = new Client({ connection: env.connection, namespace });

    /** One `rotate --wait` to its exit, and the run's start → close as Temporal recorded it. */
    const rotateWithCli = async () => {
      const before = recorder.count;
      const run = await env.keyRotator(namespace, ['rotate', NAME, '--grace', '0s', '--wait', '-f', file], {
        KEY_ROTATOR_TASK_QUEUE: worker.taskQueue,
      });
      const { startTime, closeTime } = await client.workflow.getHandle(rotationWorkflowId(NAME)).describe();
      if (!closeTime) throw new Error('rotate --wait exited before its run closed');
      return {
        ms: run.ms,
        workflowMs: closeTime.getTime() - startTime.getTime(),
        calls: recorder.count - before,
      };
    };

    // One real rotation (also a warm-up): its calls, from the emulator's log, are the bare script's plan.
    recorder.lines = [];
    const from = rotations.emulator.snapshot().requests.length;
    const warmUp = await rotateWithCli();
    const logged = rotations.emulator.snapshot().requests.slice(from);
    const lines = recorder.lines;
    recorder.lines = undefined;
    if (logged.length !== lines.length || logged.length !== warmUp.calls)
      throw new Error('the emulator logged a different number of requests than it answered');
    const keys = { old: old.key, new: await currentKey(rotations) };
    const observed: ObservedCall[] = logged.map((entry, i) => ({
      method: entry.method,
      path: entry.path,
      receivedAt: entry.receivedAt,
      status: entry.status,
      bearer: bearerOf(lines[i]!, keys),
    }));
    const plan: CallPlan = callPlan(observed, { old: old.hash, new: hashOfKey(keys.new) }, LATENCY_MS);

    const bareEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BENCH_MANAGEMENT_KEY: rotations.emulator.managementKey,
      BENCH_BARE_PLAN: JSON.stringify({
        baseUrl: rotations.emulator.url,
        destination: rotations.destination(NAME),
        keyName: `${NAME} (bare)`,
        groups: plan,
      }),
    };
    const cliRuns: { workflowMs: number; calls: number }[] = [];
    const bareInnerMs: number[] = [];
    const { a, b } = await alternate(
      runs,
      async () => {
        const run = await rotateWithCli();
        cliRuns.push(run);
        return run.ms;
      },
      async () => {
        const before = recorder.count;
        const run = await runProcess(process.execPath, [BARE_ROTATION], { env: bareEnv });
        if (recorder.count - before !== callCount(plan))
          throw new Error(`the bare script made ${recorder.count - before} calls, not ${callCount(plan)}`);
        bareInnerMs.push((JSON.parse(run.stdout) as { ms: number }).ms);
        return run.ms;
      },
    );
    const workflow = spread(cliRuns.map((r) => r.workflowMs));
    const bareCalls = spread(bareInnerMs);
    const perRotation = spread([warmUp.calls, ...cliRuns.map((r) => r.calls)]);
    const count = callCount(plan);
    const together = plan.filter((group) => group.length > 1).length;
    const planNote =
      `${count} calls in ${plan.length} round trips` +
      (together > 0 ? ` (${together} of them sent together)` : '');
    return [
      {
        what: `\`rotate --wait\`, grace 0, ${LATENCY_MS} ms per OpenRouter call, vs a bare script making the same calls`,
        measured: `${describeSpread(a)} vs ${describeSpread(b)}: ${(a.median / b.median).toFixed(2)}×`,
        goal: '≤ 1.5×',
        met: a.median / b.median <= 1.5,
        note: `whole processes; the compiled CLI and worker; the bare script: ${planNote}, fetch and the dotenv write`,
      },
      {
        what: 'the same, workflow start→close only (from Temporal) vs the bare script without Node start',
        measured: `${describeSpread(workflow)} vs ${describeSpread(bareCalls)}: ${(workflow.median / bareCalls.median).toFixed(2)}×`,
        goal: '≤ 1.3×',
        met: workflow.median / bareCalls.median <= 1.3,
      },
      {
        what: 'HTTP calls to OpenRouter per rotation (emulator count) vs the minimum',
        measured: `${perRotation.min === perRotation.max ? perRotation.median : describeSpread(perRotation, String)} vs ${MINIMUM_CALLS}`,
        goal: String(MINIMUM_CALLS),
        met: perRotation.max <= MINIMUM_CALLS,
        note: describeCalls(plan),
      },
    ];
  } finally {
    await worker.stop();
    await rotations.stop();
  }
}
