/**
 * Activities check their own authority: whoever can write to the Temporal namespace can start a
 * workflow on a task queue of their own whose activities land on the worker's queues, with
 * arguments copied from a real rotation's history (here even encoded with the payload codec).
 * No such call deletes the live key, or any key a destination holds.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { temporal } from '@temporalio/proto';
import {
  decodeArrayFromPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CreateKeyInput } from '../../src/activities/key-activities.js';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { openRouterTaskQueue, rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import type { ForgedCall } from '../fixtures/forged-workflows.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { testNamespace } from '../support/temporal.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';

let h: RotationHarness;
let worker: RotationWorkers;
let forger: Worker;
let native: NativeConnection;
let stop: () => void;
let running: Promise<unknown>;
const forgerQueue = `forger-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  h = await createRotationHarness();
  worker = await h.worker();
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  forger = await Worker.create({
    connection: native,
    namespace: testNamespace(),
    taskQueue: forgerQueue,
    workflowsPath: fileURLToPath(new URL('../fixtures/forged-workflows.ts', import.meta.url)),
    dataConverter: h.dataConverter,
  });
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  running = Promise.all([worker.runUntil(stopped), forger.runUntil(stopped)]);
});

afterAll(async () => {
  stop?.();
  await running;
  await native?.close();
  await h?.close();
});

/** The decoded input of the first activity of `type` in a history. */
async function inputOf(events: temporal.api.history.v1.IHistoryEvent[], type: string): Promise<unknown[]> {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  const payloads = scheduled?.activityTaskScheduledEventAttributes?.input?.payloads;
  return decodeArrayFromPayloads(loadDataConverter(h.dataConverter), payloads);
}

/** Every message down a failure's cause chain. */
function messages(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(String(e.message));
  return parts.join(' <- ');
}

async function forge(workflowType: string, workflowId: string, call: ForgedCall): Promise<unknown> {
  return h.client.workflow
    .execute(workflowType, { taskQueue: forgerQueue, workflowId, args: [call] })
    .then((result) => ({ result }))
    .catch((err: unknown) => ({ refused: messages(err) }));
}

describe('activities that delete keys check their own authority', () => {
  it('refuses a copied deleteKey from a hand-started workflow, and any delete of a key a destination holds', async () => {
    const files = ['forged.env'];
    await h.adoptKey(files);
    const rotation = h.rotation('forged', {}, files);
    const real = await h.startRotation(rotation);
    expect(await real.result()).toMatchObject({ outcome: 'succeeded' });
    const live = hashOfKey((await h.readKeyFrom('forged.env'))!);
    const events = (await real.fetchHistory()).events ?? [];
    // Copied from the real history: the rotation and the live key's hash, the run token, the sealed old key.
    const [copiedRotation, copiedHash] = (await inputOf(events, 'verifyDestinations')) as [
      RotationConfig,
      string,
    ];
    expect(copiedHash).toBe(live);
    const [, createInput] = (await inputOf(events, 'createKey')) as [RotationConfig, CreateKeyInput];
    const { runToken, keyName } = createInput;
    const apiQueue = openRouterTaskQueue(h.taskQueue);
    const deletedBefore = h.emulator.snapshot().keys.filter((k) => k.deleted).length;

    // A workflow of its own type: refused before OpenRouter is asked anything.
    const ownType = await forge('forgedWorkflow', `forged-${randomBytes(3).toString('hex')}`, {
      taskQueue: apiQueue,
      activity: 'deleteKey',
      args: [copiedRotation, copiedHash],
    });
    expect(ownType).toMatchObject({
      refused: expect.stringMatching(/deleteKey refused: .*type "forgedWorkflow"/),
    });

    expect(h.liveKeys().map((k) => k.hash)).toContain(live);
    expect(runToken).toBeDefined();

    // The rotation workflow's type and id (free once the real run closed) with the run's token:
    // the live key is named after that run, but its destination holds it.
    const asRotation = await forge('rotationWorkflow', rotationWorkflowId(rotation.name), {
      taskQueue: apiQueue,
      activity: 'deleteKey',
      args: [copiedRotation, copiedHash, { runToken }],
    });
    expect(asRotation).toMatchObject({ refused: expect.stringMatching(/refusing to delete key .*holds it/) });

    // deleteKeysOfRun by the live key's name: the key a destination holds is kept.
    const byName = await forge('rotationWorkflow', rotationWorkflowId(rotation.name), {
      taskQueue: apiQueue,
      activity: 'deleteKeysOfRun',
      args: [copiedRotation, { keyName, runToken }],
    });
    expect(byName).toEqual({ result: { deleted: [] } });

    // A name that is not the run's own is refused outright.
    const otherName = await forge('rotationWorkflow', rotationWorkflowId(rotation.name), {
      taskQueue: apiQueue,
      activity: 'deleteKeysOfRun',
      args: [copiedRotation, { keyName }],
    });
    expect(otherName).toMatchObject({ refused: expect.stringMatching(/this run names its keys/) });

    expect(h.liveKeys().map((k) => k.hash)).toContain(live);
    expect(h.emulator.snapshot().keys.filter((k) => k.deleted)).toHaveLength(deletedBefore);
  });
});
