/**
 * A whole rotation (real workflow, activities and worker, the emulator) when OpenRouter answers a
 * create with a key that is not shaped like an OpenRouter key: the key is never stored anywhere,
 * and no key OpenRouter created is left behind, even when deleting it fails the first time.
 */
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;

beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('a rotation whose new key comes back malformed', () => {
  it('fails without retrying, keeps the old key everywhere and leaves no key behind', async () => {
    const old = await h.adoptKey(['malformed.env']);
    const keysBefore = h.emulator.snapshot().keys.length;
    h.emulator.setFaults({ malformedCreateKeys: 100 });
    try {
      const rotation = h.rotation('malformedkey', {}, ['malformed.env']);
      const worker = await h.worker();
      const error = await worker.runUntil(async () =>
        (await h.startRotation(rotation)).result().catch((e: unknown) => e),
      );

      expect(error).toBeInstanceOf(WorkflowFailedError);
      const failure = (error as WorkflowFailedError).cause;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe('OpenRouterResponseError');
      expect(failure?.message).toMatch(
        /not an OpenRouter API key .*it was not stored and was deleted at OpenRouter/,
      );
    } finally {
      h.emulator.setFaults({});
    }
    expect(await h.readKeyFrom('malformed.env')).toBe(old.key);
    const created = h.emulator.snapshot().keys.slice(keysBefore);
    // One attempt only (the failure is not retryable), and its key is gone.
    expect(created).toMatchObject([{ deleted: true }]);
    expect(h.liveKeys().map((k) => k.hash)).toEqual([old.hash]);
  });

  it('when deleting the malformed key fails, the retried create deletes it by name and the rotation succeeds', async () => {
    const keysBefore = h.emulator.snapshot().keys.length;
    const old = await h.adoptKey(['malformed-retry.env']);
    h.emulator.setFaults({
      malformedCreateKeys: 1,
      scripted: [{ method: 'DELETE', path: '^/api/v1/keys/', status: 503, count: 1 }],
    });
    let result;
    try {
      const rotation = h.rotation('malformedretry', {}, ['malformed-retry.env']);
      const worker = await h.worker();
      result = await worker.runUntil(async () => (await h.startRotation(rotation)).result());
    } finally {
      h.emulator.setFaults({});
    }

    expect(result.outcome).toBe('succeeded');
    const stored = await h.readKeyFrom('malformed-retry.env');
    expect(stored).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
    // The old key, the malformed one (deleted by the retry), its replacement: only the replacement is live.
    expect(h.emulator.snapshot().keys.slice(keysBefore)).toMatchObject([
      { hash: old.hash, deleted: true },
      { name: expect.stringContaining('malformedretry'), deleted: true },
      { hash: result.newKey?.hash, deleted: false },
    ]);
  });
});
