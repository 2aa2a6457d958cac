/**
 * Retryability is decided once, by each error's own `retryable` flag: a slow delete at OpenRouter
 * is retried, and failures the workflow raises itself keep the type of what went wrong.
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;

beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('rotation retryability', () => {
  it('retries the delete when OpenRouter still shows the old key once after DELETE, then reports it gone', async () => {
    const old = await h.adoptKey(['slow-delete.env']);
    h.emulator.setFaults({ visibleAfterDeleteGets: 1 });
    try {
      const rotation = h.rotation('slowdelete', {}, ['slow-delete.env']);
      const worker = await h.worker();
      const result = await worker.runUntil(async () => (await h.startRotation(rotation)).result());

      expect(result.outcome).toBe('succeeded');
      expect(result.oldKeyHash).toBe(old.hash);
      expect(result.oldKeyDeleted).toBe(true);
      const stored = await h.readKeyFrom('slow-delete.env');
      expect(result.newKey?.hash).toBe(hashOfKey(stored!));
    } finally {
      h.emulator.setFaults({});
    }
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    // The first delete was confirmed by a read that still saw the key; the retry found it gone.
    const oldKeyCalls = h.emulator
      .snapshot()
      .requests.filter((r) => r.path === `/api/v1/keys/${old.hash}`)
      .map((r) => `${r.method} ${r.status}`);
    expect(oldKeyCalls).toEqual(['GET 200', 'DELETE 200', 'GET 200', 'DELETE 404', 'GET 404']);
  });

  it('fails a rotation with the type of its cause when the old key cannot be confirmed', async () => {
    await h.adoptKey(['typed-a.env']);
    await h.adoptKey(['typed-b.env']);
    const rotation = h.rotation('typedfailure', {}, ['typed-a.env', 'typed-b.env']);
    const worker = await h.worker();
    const error = await worker.runUntil(async () =>
      (await h.startRotation(rotation)).result().catch((e: unknown) => e),
    );

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = (error as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('OldKeyUnconfirmedError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect(failure?.message).toMatch(/preflight failed, nothing was changed: destinations disagree/);
  });
});
