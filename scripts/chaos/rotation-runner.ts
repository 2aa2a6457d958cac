/**
 * Starts the rotations of a chaos run the two ways users do, and waits for each to end: the first
 * rotation of every managed key through its Temporal Schedule (triggered now; its hand-made key is
 * old enough to be due), every later one through `key-rotator rotate`. Keys rotate side by side,
 * each key one rotation at a time. Temporal may be restarting at any moment, so every call is
 * retried, bounded by the run's deadlines.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  rotationOutcomeKey,
  rotationScheduleId,
  rotationWorkflowId,
} from '../../src/workflow-contract/messages.js';
import type { KeyRotatorCli } from './key-rotator-cli.js';

export type StartPath = 'schedule' | 'cli';

export type RunOutcome = 'succeeded' | 'skipped' | 'rolled-back' | 'failed' | 'unfinished' | 'not-started';

export interface RotationRun {
  name: string;
  via: StartPath;
  runId?: string;
  outcome: RunOutcome;
  /** From the workflow's start to its close, as Temporal recorded them. */
  durationMs?: number;
  /** Why it did not succeed (the workflow's own message: labels, never keys). */
  detail?: string;
}

export interface RotationRunnerOptions {
  client: Client;
  cli: KeyRotatorCli;
  /** Managed keys; each rotates in its own chain. */
  names: readonly string[];
  /** Rotations to run in all. */
  total: number;
  /** No rotation starts after this instant (ms since the epoch). */
  startBy: number;
  /** A rotation still running at this instant is unfinished. */
  finishBy: number;
  onFinished(run: RotationRun): void;
  log(line: string): void;
}

const POLL_MS = 500;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runRotations(options: RotationRunnerOptions): Promise<RotationRun[]> {
  const { client } = options;
  const runs: RotationRun[] = [];
  let reserved = 0;
  const takeSlot = () => {
    if (reserved >= options.total || Date.now() >= options.startBy) return false;
    reserved += 1;
    return true;
  };

  /** The run id of the latest rotation of `name`, undefined before the first; throws while Temporal is down. */
  async function latestRunId(name: string): Promise<string | undefined> {
    try {
      return (await client.workflow.getHandle(rotationWorkflowId(name)).describe()).runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** Polls until a run other than `previous` exists; undefined if none appears by `until`. */
  async function newRunId(
    name: string,
    previous: string | undefined,
    until: number,
  ): Promise<string | undefined> {
    while (Date.now() < until) {
      const latest = await latestRunId(name).catch(() => previous);
      if (latest !== undefined && latest !== previous) return latest;
      await delay(POLL_MS);
    }
    return undefined;
  }

  /** Starts one rotation of `name` and returns its run id, or undefined if it never started. */
  async function start(
    name: string,
    via: StartPath,
    previous: string | undefined,
  ): Promise<string | undefined> {
    while (Date.now() < options.finishBy) {
      try {
        if (via === 'schedule') {
          await client.schedule.getHandle(rotationScheduleId(name)).trigger();
          // The schedule's workflow starts the rotation as a child, once a worker runs it.
          const runId = await newRunId(name, previous, Math.min(options.finishBy, Date.now() + 180_000));
          if (runId) return runId;
          options.log(`${name}: the triggered schedule started no rotation in 3 min; triggering again`);
          continue;
        }
        const run = await options.cli.run(['rotate', name, '--json', '--reason', 'chaos run']);
        // Exit 0 or not, what counts is whether Temporal now has a new run (a start whose answer
        // was lost in a server restart is still a start).
        const runId = await newRunId(name, previous, Date.now() + (run.code === 0 ? 30_000 : 3_000));
        if (runId) return runId;
        options.log(`${name}: key-rotator rotate exited ${run.code} without a new run; retrying`);
      } catch (err) {
        options.log(`${name}: starting a rotation through ${via} failed (${String(err)}); retrying`);
      }
      await delay(2_000);
    }
    return undefined;
  }

  /** Waits for the run to close and reads its outcome. */
  async function finish(run: RotationRun): Promise<void> {
    const handle = client.workflow.getHandle(rotationWorkflowId(run.name), run.runId);
    while (Date.now() < options.finishBy) {
      const described = await handle.describe().catch(() => undefined);
      if (described && described.status.name !== 'RUNNING') {
        const outcome = described.typedSearchAttributes.get(rotationOutcomeKey);
        run.outcome =
          outcome === 'succeeded' || outcome === 'skipped' || outcome === 'rolled-back' ? outcome : 'failed';
        if (described.closeTime)
          run.durationMs = described.closeTime.getTime() - described.startTime.getTime();
        if (run.outcome !== 'succeeded') {
          run.detail = await handle.result().then(
            (result) => `${described.status.name}: ${result.skippedBecause ?? result.outcome}`,
            (err: unknown) =>
              `${described.status.name}: ${String((err as { cause?: Error }).cause?.message ?? err)}`,
          );
        }
        return;
      }
      await delay(POLL_MS);
    }
    run.outcome = 'unfinished';
  }

  async function chain(name: string): Promise<void> {
    let via: StartPath = 'schedule';
    while (takeSlot()) {
      const run: RotationRun = { name, via, outcome: 'not-started' };
      const previous = await latestRunIdRetrying(name);
      run.runId = await start(name, via, previous);
      if (run.runId) {
        options.log(`${name}: rotation ${run.runId.slice(0, 8)} started through ${via}`);
        await finish(run);
      }
      options.log(
        `${name}: rotation ${run.runId?.slice(0, 8) ?? '-'} ${run.outcome}` +
          `${run.durationMs === undefined ? '' : ` in ${(run.durationMs / 1000).toFixed(1)} s`}` +
          `${run.detail ? ` (${run.detail})` : ''}`,
      );
      runs.push(run);
      options.onFinished(run);
      via = 'cli';
    }
  }

  async function latestRunIdRetrying(name: string): Promise<string | undefined> {
    for (;;) {
      try {
        return await latestRunId(name);
      } catch (err) {
        if (Date.now() >= options.finishBy) throw err;
        await delay(1_000);
      }
    }
  }

  await Promise.all(options.names.map(chain));
  return runs;
}
