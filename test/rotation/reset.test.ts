/**
 * Temporal Reset (the Web UI's Reset button, `temporal workflow reset`) replays a run's history up
 * to a workflow task into a new run with a new run id. Everything the workflow derives must stay
 * the same in that replay, and whatever the reset run then does must leave every destination on a
 * live key.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { testNamespace } from '../support/temporal.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';

const { EventType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
const run = promisify(execFile);

let h: RotationHarness;
let worker: RotationWorkers;
let running: Promise<void>;
let stopWorker: () => void;

beforeAll(async () => {
  h = await createRotationHarness();
  worker = await h.worker();
  const stopped = new Promise<void>((resolve) => (stopWorker = resolve));
  running = worker.runUntil(stopped);
});

afterAll(async () => {
  stopWorker?.();
  await running;
  await h?.close();
});

/** Failures of a workflow task that are part of normal work: the reset itself, a completion raced by new events. */
const ROUTINE_TASK_FAILURES = new Set([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
]);

/**
 * Waits until the run closes; a workflow task that fails on the way for any other cause fails the
 * test with its cause instead of waiting forever.
 */
async function closeOf(workflowId: string, runId: string): Promise<string> {
  const handle = h.client.workflow.getHandle(workflowId, runId);
  for (let i = 0; i < 600; i++) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return status.name;
    const failed = (await handle.fetchHistory()).events?.find(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED &&
        !ROUTINE_TASK_FAILURES.has(e.workflowTaskFailedEventAttributes?.cause ?? 0),
    );
    if (failed) {
      throw new Error(
        `the reset run ${runId} fails its workflow tasks: ${failed.workflowTaskFailedEventAttributes?.failure?.message}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the reset run ${runId} did not close`);
}

/** `temporal workflow reset` as an operator runs it (the Web UI's Reset does the same); the new run's id. */
async function resetTo(
  workflowId: string,
  runId: string,
  workflowTaskFinishEventId: number,
): Promise<string> {
  await run(inject('temporalCliPath'), [
    'workflow',
    'reset',
    '--address',
    inject('temporalAddress'),
    '--namespace',
    testNamespace(),
    '--workflow-id',
    workflowId,
    '--run-id',
    runId,
    '--event-id',
    String(workflowTaskFinishEventId),
    '--reason',
    'test: reset as an operator would',
  ]);
  // The reset run is the workflow id's current run.
  return (await h.client.workflow.getHandle(workflowId).describe()).runId;
}

/** Every destination holds one key, and that key is alive at OpenRouter. */
async function expectDestinationsOnOneLiveKey(files: string[]): Promise<string> {
  const held = await Promise.all(files.map((file) => h.readKeyFrom(file)));
  expect(new Set(held).size).toBe(1);
  const hash = hashOfKey(held[0]!);
  expect(h.liveKeys().map((k) => k.hash)).toContain(hash);
  return hash;
}

function workflowTasksCompleted(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    .map((e) => Number(e.eventId));
}

describe('rotation workflow under Temporal Reset', () => {
  it('a rotation reset at each workflow task boundary replays and runs to the end on a live key', async () => {
    const files = ['each-a.env', 'each-b.env'];
    await h.adoptKey(files);
    const rotation = h.rotation('reset-each', { notifications: [{ type: 'log' }] }, files);
    const handle = await h.startRotation(rotation);
    expect(await handle.result()).toMatchObject({ outcome: 'succeeded' });
    const base = await handle.describe();
    const boundaries = workflowTasksCompleted((await handle.fetchHistory()).events ?? []);
    expect(boundaries.length).toBeGreaterThan(3);
    // Latest first: until a reset lands before the create, every reset run replays the recorded
    // rotation, whose new key is still the live one.
    for (const boundary of boundaries.reverse()) {
      const runId = await resetTo(base.workflowId, base.runId, boundary);
      await closeOf(base.workflowId, runId);
      await expectDestinationsOnOneLiveKey(files);
    }
  });

  it('an older successful run reset to before its verify step leaves every destination on the live key', async () => {
    const files = ['older-a.env', 'older-b.env'];
    const adopted = await h.adoptKey(files);
    // A short window: the older run's new key is long deleted, so its verify gets 401.
    const rotation = h.rotation('reset-older', { verify: { newKeyWindow: '1s' } }, files);
    const first = await h.startRotation(rotation);
    expect(await first.result()).toMatchObject({ outcome: 'succeeded' });
    const older = await first.describe();
    const second = await h.startRotation(rotation);
    expect(await second.result()).toMatchObject({ outcome: 'succeeded' });
    const live = await expectDestinationsOnOneLiveKey(files);

    // The workflow task that scheduled the verify: resetting to it runs verify (and what follows) again.
    const events = (await first.fetchHistory()).events ?? [];
    const verifyAt = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyNewKey',
    );
    const boundary = events
      .slice(0, verifyAt)
      .reverse()
      .find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    expect(boundary).toBeDefined();
    const runId = await resetTo(older.workflowId, older.runId, Number(boundary!.eventId));
    expect(await closeOf(older.workflowId, runId)).toBe('FAILED');

    // Not the older run's old key (the adopted one, long deleted) written back: still the live key.
    expect(await expectDestinationsOnOneLiveKey(files)).toBe(live);
    expect(h.liveKeys().some((k) => k.hash === adopted.hash)).toBe(false);
    const failure = await h.client.workflow
      .getHandle(older.workflowId, runId)
      .result()
      .catch((e: unknown) => e as Error & { cause?: Error });
    expect(String((failure as { cause?: Error }).cause?.message)).toMatch(
      /holds another key .*left as it is/,
    );

    // The next rotate starts, and replaces the live key as usual.
    const next = await h.startRotation(rotation);
    expect(await next.result()).toMatchObject({
      outcome: 'succeeded',
      oldKeyHash: live,
      oldKeyDeleted: true,
    });
    expect(await expectDestinationsOnOneLiveKey(files)).not.toBe(live);
  });
});
