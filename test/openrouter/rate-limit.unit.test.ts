/**
 * The request rate to OpenRouter, counted in HTTP requests at the server (the emulator's request
 * log): clients that share a limiter never start more than the rate in any one-second window,
 * however many calls are made at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenRouterClient } from '../../src/openrouter/client.js';
import { RequestRateLimiter } from '../../src/openrouter/request-rate-limiter.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

/** Most requests the emulator received within any one-second window. */
function busiestSecond(): number {
  const times = emulator
    .snapshot()
    .requests.map((r) => r.receivedAt)
    .sort((a, b) => a - b);
  let peak = 0;
  for (let end = 0, start = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

describe('OpenRouter request rate limit', () => {
  it('two clients sharing a limiter of 4/s never send more than 4 requests in any second', async () => {
    emulator.reset();
    const limiter = new RequestRateLimiter(4);
    const clients = [1, 2].map(() =>
      createOpenRouterClient({
        baseUrl: emulator.apiBaseUrl,
        managementKey: emulator.managementKey,
        rateLimiter: limiter,
      }),
    );
    const calls = Array.from({ length: 14 }, (_, i) => clients[i % 2]!.currentKey());
    await Promise.all(calls);
    expect(emulator.snapshot().requests).toHaveLength(14);
    expect(busiestSecond()).toBe(4);
  }, 30_000);

  it('without a limiter the same burst arrives at once (the test can see a burst)', async () => {
    emulator.reset();
    const client = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: emulator.managementKey,
    });
    await Promise.all(Array.from({ length: 14 }, () => client.currentKey()));
    expect(busiestSecond()).toBeGreaterThan(4);
  });

  it('a call cancelled while it waits for its turn fails with the reason and sends nothing', async () => {
    emulator.reset();
    const limiter = new RequestRateLimiter(1);
    const client = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: emulator.managementKey,
      rateLimiter: limiter,
    });
    await client.currentKey();
    const cancel = new AbortController();
    const waiting = client.currentKey({ signal: cancel.signal });
    cancel.abort(new Error('activity cancelled'));
    await expect(waiting).rejects.toThrow('activity cancelled');
    expect(emulator.snapshot().requests).toHaveLength(1);
  });
});
