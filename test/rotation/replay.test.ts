/**
 * Determinism guard: a recorded history of a full rotation (adopt, pause during grace, resume,
 * delete) must replay against today's workflow code. A change that alters the order of commands
 * fails here instead of breaking rotations in flight after a deploy.
 *
 * Re-record (only when an incompatible change is intended and versioned): RECORD_REPLAY_FIXTURE=1
 * npx vitest run test/rotation-replay.test.ts. The fixture is recorded without the payload codec;
 * keys appear in it only sealed with a throwaway keyring, so it holds nothing usable.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { pauseSignal, resumeSignal, statusQuery } from '../../src/workflow-contract/messages.js';
import { createRotationHarness, workflowBundle } from '../support/rotation-harness.js';

const fixture = fileURLToPath(new URL('../fixtures/rotation-history.json', import.meta.url));
const recording = process.env.RECORD_REPLAY_FIXTURE === '1';
/**
 * A rotation that carried a guardrail and two allow-list places over, recorded with the workflow
 * of commit 7ffdd34 (before `openrouter.carryOver` and the shared attachment index): runs in
 * flight when a worker with later code takes over must go on with the same commands.
 * Re-record: RECORD_CARRY_OVER_FIXTURE=1 npx vitest run test/rotation/replay.test.ts.
 */
const carryOverFixture = fileURLToPath(
  new URL('../fixtures/rotation-history-carry-over.json', import.meta.url),
);
const recordingCarryOver = process.env.RECORD_CARRY_OVER_FIXTURE === '1';
/**
 * A rotation whose lifecycle events went to a log sink, recorded with the workflow of commit
 * a70aab6 (event delivery workflows named after the run id, before `reset-safe-event-ids`).
 * Re-record: RECORD_EVENTS_FIXTURE=1 npx vitest run test/rotation/replay.test.ts.
 */
const eventsFixture = fileURLToPath(new URL('../fixtures/rotation-history-events.json', import.meta.url));
const recordingEvents = process.env.RECORD_EVENTS_FIXTURE === '1';
/**
 * A rotation whose first create answer was lost and whose new key never verified, so it rolled
 * back (restore, delete the run's keys), recorded with the workflow of commit 2ac952a (keys named
 * after the run id, sealed:v3, before `run-token`). Re-record: RECORD_ROLLBACK_FIXTURE=1 npx vitest
 * run test/rotation/replay.test.ts.
 */
const rollbackFixture = fileURLToPath(new URL('../fixtures/rotation-history-rollback.json', import.meta.url));
const recordingRollback = process.env.RECORD_ROLLBACK_FIXTURE === '1';
/**
 * A rotation that deleted its old key, recorded with the workflow of commit 2610c17 (before
 * `retire-previous-versions`, which retires the destinations' previous versions after the delete).
 * Re-record: RECORD_RETIRE_FIXTURE=1 npx vitest run test/rotation/replay.test.ts.
 */
const retireFixture = fileURLToPath(
  new URL('../fixtures/rotation-history-before-retire.json', import.meta.url),
);
const recordingRetire = process.env.RECORD_RETIRE_FIXTURE === '1';

describe('rotation workflow determinism', () => {
  it.runIf(recording)('records a full rotation history as a fixture', async () => {
    const h = await createRotationHarness({ encrypt: false });
    try {
      await h.adoptKey(['replay.env']);
      const rotation = h.rotation('replay', { gracePeriod: '2s' }, ['replay.env']);
      const worker = await h.worker();
      const history = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        for (let i = 0; i < 300 && (await handle.query(statusQuery)).step !== 'grace'; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        await handle.signal(pauseSignal, 'recording');
        await new Promise((r) => setTimeout(r, 3_000));
        await handle.signal(resumeSignal);
        await handle.result();
        return handle.fetchHistory();
      });
      const json = historyToJSON(history);
      expect(json).not.toMatch(/sk-or-v1-[0-9a-f]{20}/);
      await writeFile(fixture, `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
    } finally {
      await h.close();
    }
  });

  it.runIf(recordingCarryOver)('records a rotation that carries attachments over as a fixture', async () => {
    const h = await createRotationHarness({ encrypt: false });
    try {
      const old = await h.adoptKey(['carried.env']);
      const { account } = h.emulator;
      const guardrail = account.addGuardrail({ name: 'recorded' });
      account.assignGuardrail(guardrail.id, [old.hash]);
      account.addByokKey({ provider: 'openai', allowedApiKeyHashes: [old.hash] });
      account.addObservabilityDestination({ url: 'https://hooks.test/recorded', apiKeyHashes: [old.hash] });
      const rotation = h.rotation('carried', { gracePeriod: '1s' }, ['carried.env']);
      const worker = await h.worker();
      const history = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        expect(await handle.result()).toMatchObject({ outcome: 'succeeded' });
        return handle.fetchHistory();
      });
      const json = historyToJSON(history);
      expect(json).not.toMatch(/sk-or-v1-[0-9a-f]{20}/);
      expect(json).toMatch(/assignGuardrail/);
      await writeFile(carryOverFixture, `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
    } finally {
      await h.close();
    }
  });

  it.runIf(recordingEvents)('records a rotation with lifecycle events as a fixture', async () => {
    const h = await createRotationHarness({ encrypt: false });
    try {
      await h.adoptKey(['events.env']);
      const rotation = h.rotation('events', { notifications: [{ type: 'log' }] }, ['events.env']);
      const worker = await h.worker();
      const history = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        expect(await handle.result()).toMatchObject({ outcome: 'succeeded' });
        return handle.fetchHistory();
      });
      const json = historyToJSON(history);
      expect(json).not.toMatch(/sk-or-v1-[0-9a-f]{20}/);
      expect(json).toMatch(/startChildWorkflowExecutionInitiatedEventAttributes/);
      await writeFile(eventsFixture, `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
    } finally {
      await h.close();
    }
  });

  it.runIf(recordingRollback)('records a rotation that rolls back as a fixture', async () => {
    const h = await createRotationHarness({ encrypt: false });
    try {
      await h.adoptKey(['rollback.env']);
      h.emulator.setFaults({ freshKeyUnauthorizedMs: 60_000, dropCreateResponses: 1 });
      const rotation = h.rotation('rollback', { verify: { newKeyWindow: '1s' } }, ['rollback.env']);
      const worker = await h.worker();
      const history = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        await expect(handle.result()).rejects.toThrow();
        return handle.fetchHistory();
      });
      h.emulator.setFaults({});
      const json = historyToJSON(history);
      expect(json).not.toMatch(/sk-or-v1-[0-9a-f]{20}/);
      expect(json).toMatch(/deleteKeysOfRun/);
      await writeFile(rollbackFixture, `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
    } finally {
      await h.close();
    }
  });

  it.runIf(recordingRetire)('records a rotation that deletes its old key as a fixture', async () => {
    const h = await createRotationHarness({ encrypt: false });
    try {
      await h.adoptKey(['retire.env']);
      const rotation = h.rotation('retire', { gracePeriod: '1s' }, ['retire.env']);
      const worker = await h.worker();
      const history = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        expect(await handle.result()).toMatchObject({ outcome: 'succeeded', oldKeyDeleted: true });
        return handle.fetchHistory();
      });
      const json = historyToJSON(history);
      expect(json).not.toMatch(/sk-or-v1-[0-9a-f]{20}/);
      await writeFile(retireFixture, `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
    } finally {
      await h.close();
    }
  });

  it('replays a recorded rotation that rolled back, named its keys after the run id and sealed v3', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(rollbackFixture, 'utf8')));
    expect(JSON.stringify(history)).toMatch(/writeDestination/);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'rollback-fixture');
  });

  it('replays a recorded rotation that deleted its old key, from before previous versions were retired', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(retireFixture, 'utf8')));
    const deleted = history.events?.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deleteKey',
    );
    expect(deleted).toHaveLength(1);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'retire-fixture');
  });

  it('replays a recorded rotation that carried attachments over with the current workflow code', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(carryOverFixture, 'utf8')));
    expect(history.events?.length).toBeGreaterThan(40);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'carry-over-fixture');
  });

  it('replays a recorded rotation whose lifecycle events were named after the run id', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(eventsFixture, 'utf8')));
    const started = history.events?.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    expect(started?.length).toBeGreaterThanOrEqual(2);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'events-fixture');
  });

  it('replays the recorded history with the current workflow code', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(fixture, 'utf8')));
    expect(history.events?.length).toBeGreaterThan(20);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'replay-fixture');
  });
});
