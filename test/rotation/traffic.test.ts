import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { endGraceSignal, statusQuery } from '../../src/workflow-contract/messages.js';
import type { rotationWorkflow } from '../../src/workflows/rotation-workflow.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

/**
 * A consumer app sending a completion every 100 ms: `follows` re-reads the key file before each
 * request (a well-behaved app); otherwise it keeps the key it read first (a forgotten service).
 */
function startConsumer(file: string, follows: boolean) {
  let running = true;
  let key: string | undefined;
  const done = (async () => {
    while (running) {
      if (follows || !key) key = await h.readKeyFrom(file);
      await fetch(`${h.emulator.apiBaseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

function start(rotation: RotationConfig): Promise<WorkflowHandle<typeof rotationWorkflow>> {
  return h.startRotation(rotation);
}

async function waitForStep(handle: WorkflowHandle, step: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await handle.query(statusQuery)).step === step) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never reached ${step}`);
}

const trafficRotation = (name: string, file: string, holdTimeout = '1h') =>
  h.rotation(
    name,
    { gracePeriod: '4s', verify: { requireTrafficMoved: true, trafficHoldTimeout: holdTimeout } },
    [file],
  );

describe('requireTrafficMoved', () => {
  it('deletes the old key once consumers have moved to the new one', async () => {
    const old = await h.adoptKey(['moved.env']);
    const stopConsumer = startConsumer('moved.env', true);
    const worker = await h.worker();
    try {
      const result = await worker.runUntil(async () =>
        (await start(trafficRotation('moved', 'moved.env'))).result(),
      );
      expect(result.outcome).toBe('succeeded');
      expect(result.steps.map((s) => s.step)).not.toContain('hold');
    } finally {
      await stopConsumer();
    }
    const newHash = hashOfKey((await h.readKeyFrom('moved.env'))!);
    const keys = h.emulator.snapshot().keys;
    expect(keys.find((k) => k.hash === newHash)!.usage).toBeGreaterThan(0);
    expect(keys.find((k) => k.hash === old.hash)!.deleted).toBe(true);
  });

  it('holds with both keys live while something still uses the old key, until an operator ends the hold', async () => {
    const old = await h.adoptKey(['stuck.env']);
    const stopStuck = startConsumer('stuck.env', false);
    const stopMoved = startConsumer('stuck.env', true);
    const worker = await h.worker();
    try {
      const result = await worker.runUntil(async () => {
        const handle = await start(trafficRotation('stuck', 'stuck.env'));
        await waitForStep(handle, 'hold');
        const status = await handle.query(statusQuery);
        expect(status.warnings.join(' ')).toMatch(/holding: traffic has not moved.*old key is still in use/);
        expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
        await handle.signal(endGraceSignal);
        return handle.result();
      });
      expect(result.outcome).toBe('succeeded');
      expect(result.warnings.join(' ')).toMatch(/hold ended by an operator/);
    } finally {
      await stopStuck();
      await stopMoved();
    }
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(false);
  });

  it('fails after the hold deadline and keeps both keys, the destinations on the new one', async () => {
    const old = await h.adoptKey(['deadline.env']);
    const stopStuck = startConsumer('deadline.env', false);
    const worker = await h.worker();
    let error: unknown;
    try {
      error = await worker.runUntil(async () =>
        (await start(trafficRotation('deadline', 'deadline.env', '6s'))).result().catch((e: unknown) => e),
      );
    } finally {
      await stopStuck();
    }
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(
      /did not move.*Both keys were kept/,
    );
    const stored = (await h.readKeyFrom('deadline.env'))!;
    expect(stored).not.toBe(old.key);
    const live = h.liveKeys().map((k) => k.hash);
    expect(live).toContain(old.hash);
    expect(live).toContain(hashOfKey(stored));
  });
});
