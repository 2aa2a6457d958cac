/**
 * A rotation makes no OpenRouter call it does not need: looking up the old key (GET /keys/{hash})
 * proves the management key, so preflight checks it on its own (GET /key) only when there is no
 * old key to look up (GET /key with the new key as bearer is the verify step's own check). And
 * fewer history events: one search-attribute upsert per step.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationStepKey,
} from '../../src/workflow-contract/messages.js';
import {
  MANAGEMENT_KEY_ENV,
  createRotationHarness,
  type RotationHarness,
} from '../support/rotation-harness.js';

let h: RotationHarness;

beforeAll(async () => {
  h = await createRotationHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/** The OpenRouter calls made from request number `from` on, as `METHOD path`. */
function callsSince(from: number): string[] {
  return h.emulator
    .snapshot()
    .requests.slice(from)
    .map((r) => `${r.method} ${r.path}`);
}

describe('OpenRouter round trips of a rotation', () => {
  it('confirms the management key through the old key lookup, without a GET /key of its own', async () => {
    const old = await h.adoptKey(['lookup.env']);
    const rotation = h.rotation('lookup', { gracePeriod: '0s' }, ['lookup.env']);
    const from = h.emulator.snapshot().requests.length;
    const worker = await h.worker();
    const result = await worker.runUntil(async () => (await h.startRotation(rotation)).result());
    expect(result.outcome).toBe('succeeded');
    const calls = callsSince(from);
    const create = calls.indexOf('POST /api/v1/keys');
    // GET /key after the create is the new key verifying itself; before it, only the lookup.
    expect(calls.slice(0, create)).not.toContain('GET /api/v1/key');
    expect(calls.slice(0, create)).toContain(`GET /api/v1/keys/${old.hash}`);
  });

  it('upserts its search attributes once per step: outcome and new key label go with a step', async () => {
    await h.adoptKey(['upserts.env']);
    const rotation = h.rotation('upserts', { gracePeriod: '0s' }, ['upserts.env']);
    const worker = await h.worker();
    const handle = await h.startRotation(rotation);
    const result = await worker.runUntil(() => handle.result());
    expect(result.outcome).toBe('succeeded');
    const { events } = await handle.fetchHistory();
    // Our own attributes; the SDK upserts TemporalChangeVersion for each patch marker besides.
    const upserts = (events ?? []).filter(
      (e) =>
        e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES &&
        Object.keys(
          e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        ).some((name) => name.startsWith('Rotation')),
    );
    expect(upserts).toHaveLength(result.steps.length);
    // …and visibility still shows all of them.
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(rotationOutcomeKey)).toBe('succeeded');
    expect(attributes.get(rotationStepKey)).toBe('done');
    expect(attributes.get(rotationNewKeyLabelKey)).toBe(result.newKey?.label);
  });

  it('checks the management key on its own in a first rotation, before creating the key', async () => {
    await writeFile(join(h.dir, 'first.env'), '');
    const rotation = h.rotation('first', { gracePeriod: '0s' }, ['first.env']);
    const from = h.emulator.snapshot().requests.length;
    const worker = await h.worker();
    const result = await worker.runUntil(async () => (await h.startRotation(rotation)).result());
    expect(result.outcome).toBe('succeeded');
    const calls = callsSince(from);
    expect(calls.indexOf('GET /api/v1/key')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('GET /api/v1/key')).toBeLessThan(calls.indexOf('POST /api/v1/keys'));
  });

  it('stops at preflight, creating nothing, when the management key variable holds a normal key', async () => {
    const normal = await h.adoptKey(['not-management.env']);
    await h.adoptKey(['normal-key-run.env']);
    const rotation = h.rotation('normal-key-run', {}, ['normal-key-run.env']);
    const keysBefore = h.emulator.snapshot().keys.length;
    const managementKey = h.workerEnv[MANAGEMENT_KEY_ENV]!;
    h.workerEnv[MANAGEMENT_KEY_ENV] = normal.key;
    try {
      const worker = await h.worker();
      const error = await worker.runUntil(async () =>
        (await h.startRotation(rotation)).result().catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(String((error as WorkflowFailedError).cause?.message)).toMatch(/preflight.*management key/s);
    } finally {
      h.workerEnv[MANAGEMENT_KEY_ENV] = managementKey;
    }
    expect(h.emulator.snapshot().keys.length).toBe(keysBefore);
  });
});
