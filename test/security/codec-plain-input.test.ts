/**
 * Workflow input is data the worker acts on, so only input our codec encrypted is accepted. A
 * rotation started with plain JSON (a Client without the codec, or `temporal workflow start
 * --input`) must not make the worker do anything: the first workflow task fails with a clear
 * error, no activity is scheduled, nothing reaches OpenRouter and no destination is written.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, type Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  decodeOptionalFailureToOptionalError,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import type { RotationConfig } from '../../src/config/schema.js';
import type { rotationWorkflow } from '../../src/workflows/rotation-workflow.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { findRunningRotation } from '../../src/client/rotations/running-rotation.js';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { testNamespace } from '../support/temporal.js';

const REFUSED = /payload is not encrypted by key-rotator's codec \(encoding json\/plain\): refused/;

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** The history once its first workflow task has failed (the worker refused the input). */
async function historyAfterFirstTaskFailure(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    if (events.some((e) => e.workflowTaskFailedEventAttributes)) return events;
    if (Date.now() > deadline) throw new Error(`no workflow task failed for ${handle.workflowId}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The workflow task failure, decoded the way our own CLI would read it. */
async function taskFailureMessage(events: HistoryEvent[]): Promise<string> {
  const failure = events.find((e) => e.workflowTaskFailedEventAttributes)!.workflowTaskFailedEventAttributes!
    .failure;
  // In history the message itself is encrypted, like every failure of ours.
  expect(failure?.message).toBe('Encoded failure');
  const error = await decodeOptionalFailureToOptionalError(loadDataConverter(h.dataConverter), failure);
  return String(error?.message);
}

/** Runs a worker until the rotation's first workflow task has failed, and a little longer. */
async function historyOfRefusedRun(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  const worker = await h.worker();
  return worker.runUntil(async () => {
    await historyAfterFirstTaskFailure(handle);
    // The task is retried and refused again; give a wrongly accepted retry time to show up.
    await new Promise((r) => setTimeout(r, 3_000));
    return (await handle.fetchHistory()).events ?? [];
  });
}

async function expectNothingDone(
  events: HistoryEvent[],
  rotation: RotationConfig,
  oldKey: string,
  requestsBefore: number,
) {
  expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  expect(events.some((e) => e.workflowExecutionCompletedEventAttributes)).toBe(false);
  expect(h.emulator.snapshot().requests.slice(requestsBefore)).toEqual([]);
  expect(h.liveKeys().filter((k) => k.name.includes(rotation.name))).toEqual([]);
  expect(await h.readKeyFrom(`${rotation.name}.env`)).toBe(oldKey);
}

describe('payload codec: plain input', () => {
  it('refuses a payload it did not encrypt, naming its encoding, and shows it as is only in display mode', async () => {
    const keyring = parseKeyring(randomBytes(32).toString('base64'), 'test');
    const plain = defaultPayloadConverter.toPayload({ rotation: { name: 'chosen-by-caller' } });
    await expect(new EncryptionCodec(keyring).decode([plain])).rejects.toThrow(REFUSED);
    await expect(new EncryptionCodec(keyring).decode([{ data: plain.data }])).rejects.toThrow(
      /\(encoding missing\): refused/,
    );
    expect(await new EncryptionCodec(keyring, { foreignPayloads: 'show' }).decode([plain])).toEqual([plain]);
  });

  it('a rotation started by a client without the codec runs no activity and sends nothing to OpenRouter', async () => {
    const old = await h.adoptKey(['plain-client.env']);
    const rotation = h.rotation('plain-client', {}, ['plain-client.env']);
    const requestsBefore = h.emulator.snapshot().requests.length;
    const noCodec = new Client({ connection: h.client.connection, namespace: h.client.options.namespace });
    const handle = await noCodec.workflow.start<typeof rotationWorkflow>('rotationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `plain-client-${randomBytes(4).toString('hex')}`,
      args: [{ rotation, options: {} }],
    });
    try {
      const events = await historyOfRefusedRun(handle);
      expect(await taskFailureMessage(events)).toMatch(REFUSED);
      await expectNothingDone(events, rotation, old.key, requestsBefore);
    } finally {
      await handle.terminate('test cleanup');
    }
  });

  it('`status` of such a run names its failing workflow task, not a missing worker', async () => {
    await h.adoptKey(['plain-status.env']);
    const rotation = h.rotation('plain-status', {}, ['plain-status.env']);
    const noCodec = new Client({ connection: h.client.connection, namespace: h.client.options.namespace });
    const handle = await noCodec.workflow.start<typeof rotationWorkflow>('rotationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: rotationWorkflowId(rotation.name),
      args: [{ rotation, options: {} }],
    });
    try {
      const worker = await h.worker();
      const running = await worker.runUntil(async () => {
        await historyAfterFirstTaskFailure(handle);
        return findRunningRotation(h.client, h.client.connection as Connection, rotation.name);
      });
      expect(running?.status).toBeUndefined();
      expect(running?.statusUnavailable).toMatch(
        /a worker runs the rotation, but its workflow task fails \(\w+.*\): .*payload is not encrypted by key-rotator's codec/,
      );
      expect(running?.statusUnavailable).not.toMatch(/is `key-rotator worker` running/);
    } finally {
      await handle.terminate('test cleanup');
    }
  });

  it('a rotation started with `temporal workflow start --input` is refused the same way', async () => {
    const old = await h.adoptKey(['plain-cli.env']);
    const rotation = h.rotation('plain-cli', {}, ['plain-cli.env']);
    const requestsBefore = h.emulator.snapshot().requests.length;
    const workflowId = `plain-cli-${randomBytes(4).toString('hex')}`;
    await promisify(execFile)(inject('temporalCliPath'), [
      'workflow',
      'start',
      '--address',
      inject('temporalAddress'),
      '--namespace',
      testNamespace(),
      '--task-queue',
      h.taskQueue,
      '--type',
      'rotationWorkflow',
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify({ rotation, options: {} }),
    ]);
    const handle = h.client.workflow.getHandle(workflowId);
    try {
      const events = await historyOfRefusedRun(handle);
      expect(await taskFailureMessage(events)).toMatch(REFUSED);
      await expectNothingDone(events, rotation, old.key, requestsBefore);
    } finally {
      await handle.terminate('test cleanup');
    }
  });
});
