/**
 * The traffic-moved check counts requests (OpenRouter's analytics API), not only USD usage: a
 * consumer that calls only a free model never moves a key's USD counters, yet it keeps the
 * rotation in hold until it has switched keys. Real dev server, real emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { statusQuery } from '../../src/workflow-contract/messages.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

const FREE_MODEL = 'meta-llama/llama-3.3-70b-instruct:free';

/** A consumer calling only a free model every 100 ms with the key it read first, until told to re-read the file. */
function startFreeModelConsumer(file: string) {
  let running = true;
  let follows = false;
  let key: string | undefined;
  const done = (async () => {
    while (running) {
      if (follows || !key) key = await h.readKeyFrom(file);
      await fetch(`${h.emulator.apiBaseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: FREE_MODEL, messages: [{ role: 'user', content: 'hi' }] }),
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    switchKeys: () => void (follows = true),
    stop: async () => {
      running = false;
      await done;
    },
  };
}

describe('requireTrafficMoved on request counts', () => {
  it('a consumer of a free model keeps the rotation in hold until it switches keys', async () => {
    const old = await h.adoptKey(['free.env']);
    const consumer = startFreeModelConsumer('free.env');
    const rotation = h.rotation(
      'free-model',
      { gracePeriod: '4s', verify: { requireTrafficMoved: true, trafficHoldTimeout: '5m' } },
      ['free.env'],
    );
    const worker = await h.worker();
    try {
      const result = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        for (let i = 0; i < 600 && (await handle.query(statusQuery)).step !== 'hold'; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const holding = await handle.query(statusQuery);
        expect(holding.step).toBe('hold');
        expect(holding.trafficSource).toBe('request-counts');
        expect(holding.warnings.join(' ')).toMatch(
          /holding: traffic has not moved yet by request counts.*old key is still in use/,
        );
        // Six more seconds of hold: more than one re-check, and the old key is still there.
        await new Promise((r) => setTimeout(r, 6_000));
        expect((await handle.query(statusQuery)).step).toBe('hold');
        expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);

        consumer.switchKeys();
        return handle.result();
      });

      expect(result.outcome).toBe('succeeded');
      // Counting requests is the check working as meant: a note, not a warning.
      expect(result.notes?.join(' ')).toMatch(
        /traffic check: request counts from OpenRouter's analytics API/,
      );
      expect(result.warnings.join(' ')).not.toMatch(/traffic check/);
      expect(result.warnings.join(' ')).not.toMatch(/hold ended by an operator/);
    } finally {
      await consumer.stop();
    }
    const keys = h.emulator.snapshot().keys;
    const newHash = hashOfKey((await h.readKeyFrom('free.env'))!);
    expect(keys.find((k) => k.hash === old.hash)).toMatchObject({ deleted: true, usage: 0 });
    expect(keys.find((k) => k.hash === newHash)).toMatchObject({ deleted: false, usage: 0 });
    expect(keys.find((k) => k.hash === newHash)!.request_count).toBeGreaterThan(0);
  });

  it('falls back to USD usage when the analytics API refuses, and says so', async () => {
    await h.adoptKey(['fallback.env']);
    h.emulator.setFaults({ scripted: [{ path: '^/api/v1/analytics', status: 403, count: 1000 }] });
    const rotation = h.rotation(
      'usd-fallback',
      { gracePeriod: '2s', verify: { requireTrafficMoved: true, trafficHoldTimeout: '1h' } },
      ['fallback.env'],
    );
    const worker = await h.worker();
    try {
      const status = await worker.runUntil(async () => {
        const handle = await h.startRotation(rotation);
        for (let i = 0; i < 600 && (await handle.query(statusQuery)).step !== 'hold'; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const status = await handle.query(statusQuery);
        await handle.terminate('test done');
        return status;
      });

      expect(status.trafficSource).toBe('usd-usage');
      expect(status.warnings.join(' ')).toMatch(
        /traffic check: the keys' USD usage counters, as request counts are unavailable \(OpenRouter answered POST \/analytics\/query with 403/,
      );
    } finally {
      h.emulator.setFaults({});
    }
  });
});
