/**
 * Lifecycle events reach a real HTTP receiver as Standard Webhooks, each verified with the official
 * `standardwebhooks` package, for a succeeded, a rolled-back and a held rotation; a receiver that
 * fails three times gets the event once it answers, with the same id; a sink that keeps failing
 * shows in `status`; and a broken sink never changes how a rotation ends.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';
import type { LifecycleEvent } from '../../src/events/event-types.js';
import { failingNotifications } from '../../src/client/rotations/notification-health.js';
import { runKeyRotator } from '../support/cli.js';
import { encodingsOf } from '../support/history-payloads.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

const SECRET_ENV = 'TEST_WEBHOOK_SECRET';
const secret = `whsec_${randomBytes(32).toString('base64')}`;
let h: RotationHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await createRotationHarness();
  receiver = await startWebhookReceiver();
  h.workerEnv[SECRET_ENV] = secret;
  h.allow({ webhookOrigins: [receiver.origin], credentialEnvs: [SECRET_ENV] });
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

const webhookTo = (path: string) => ({
  notifications: [{ type: 'webhook', url: `${receiver.origin}${path}`, secret: { env: SECRET_ENV } }],
});

/** Every request verified with the official implementation, parsed. */
function verifiedEvents(rotation: string): LifecycleEvent[] {
  const verifier = new Webhook(secret);
  return receiver.requests
    .map((r) => {
      const event = verifier.verify(r.body, r.headers as Record<string, string>) as LifecycleEvent;
      expect(r.headers['webhook-id']).toBe(event.id);
      expect(r.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      return event;
    })
    .filter((e) => e.subject === rotation);
}

/** Waits until the receiver has accepted an event of `type` for `rotation`. */
async function acceptedEvent(rotation: string, type: string, path = '/ok'): Promise<LifecycleEvent> {
  for (let i = 0; i < 300; i++) {
    const found = receiver
      .accepted(path)
      .map((r) => JSON.parse(r.body) as LifecycleEvent)
      .find((e) => e.subject === rotation && e.type === type);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${type} event of ${rotation} reached ${path}`);
}

function expectNoSecret(events: LifecycleEvent[], secrets: string[]): void {
  const text = JSON.stringify(events);
  for (const s of [...secrets, h.emulator.managementKey, secret])
    for (const form of encodingsOf(s)) expect(text).not.toContain(form);
  expect(text).not.toMatch(/sk-or-v1-[0-9a-f]{16,}/);
}

describe('lifecycle events as Standard Webhooks', () => {
  it('a succeeded rotation sends rotation.started and rotation.succeeded, signed, with labels and never keys', async () => {
    const old = await h.adoptKey(['ok.env']);
    const worker = await h.worker();
    const { result, succeeded } = await worker.runUntil(async () => {
      const result = await (
        await h.startRotation(h.rotation('ev-ok', webhookTo('/ok'), ['ok.env']))
      ).result();
      return { result, succeeded: await acceptedEvent('ev-ok', 'rotation.succeeded') };
    });
    expect(result.outcome).toBe('succeeded');
    const events = verifiedEvents('ev-ok');
    expect(events.map((e) => e.type)).toEqual(['rotation.started', 'rotation.succeeded']);
    expect(succeeded).toMatchObject({
      specversion: '1.0',
      source: '/key-rotator/rotations/ev-ok',
      subject: 'ev-ok',
      datacontenttype: 'application/json',
      data: {
        rotation: 'ev-ok',
        reason: 'manual',
        step: 'done',
        oldKey: { hash: old.hash },
        newKey: { label: result.newKey!.label, hash: result.newKey!.hash },
      },
    });
    expect(succeeded.data.destinations[0]).toMatch(/ok\.env/);
    expect(succeeded.id).toMatch(/^key-rotator-event-.*-rotation\.succeeded$/);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const newKey = (await h.readKeyFrom('ok.env'))!;
    expectNoSecret(events, [old.key, newKey]);
    // The delivery workflow's own history, raw: no key, no signing secret, in any encoding.
    const history = historyToJSON(await h.client.workflow.getHandle(succeeded.id).fetchHistory());
    for (const s of [old.key, newKey, secret, h.emulator.managementKey])
      for (const form of encodingsOf(s)) expect(history).not.toContain(form);
  });

  it('the log sink writes one line per event to the worker log, labels only', async () => {
    const old = await h.adoptKey(['log.env']);
    const lines: string[] = [];
    const deps = createDefaultDependencies({
      sealer: new SecretSealer(h.sealingKeyring),
      env: h.workerEnv,
      policy: h.policy,
    });
    const worker = await h.worker({
      dependencies: { ...deps, notifications: { ...deps.notifications, log: (line) => lines.push(line) } },
    });
    const result = await worker.runUntil(async () => {
      const result = await (
        await h.startRotation(h.rotation('ev-log', { notifications: [{ type: 'log' }] }, ['log.env']))
      ).result();
      for (let i = 0; i < 300 && !lines.some((l) => l.includes('rotation.succeeded')); i++)
        await new Promise((r) => setTimeout(r, 100));
      return result;
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^key-rotator event rotation\.started ev-log: rotation started; /);
    expect(lines[1]).toContain(
      `key-rotator event rotation.succeeded ev-log: rotated; new key ${result.newKey!.label} replaced `,
    );
    const text = lines.join('\n');
    for (const s of [old.key, (await h.readKeyFrom('log.env'))!]) expect(text).not.toContain(s);
  });

  it('a rolled-back rotation sends rotation.rolled_back with the reason', async () => {
    const old = await h.adoptKey(['rolled.env']);
    const worker = await h.worker();
    const { error, rolledBack } = await worker.runUntil(async () => {
      h.emulator.setFaults({ freshKeyUnauthorizedMs: 60_000 });
      try {
        const rotation = h.rotation('ev-rolled', { ...webhookTo('/ok'), verify: { newKeyWindow: '2s' } }, [
          'rolled.env',
        ]);
        const error = await (await h.startRotation(rotation)).result().catch((e: unknown) => e);
        return { error, rolledBack: await acceptedEvent('ev-rolled', 'rotation.rolled_back') };
      } finally {
        h.emulator.setFaults({});
      }
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(await h.readKeyFrom('rolled.env')).toBe(old.key);
    expect(rolledBack.data.error).toMatch(/401|refused/);
    expect(rolledBack.data.step).toBe('failed');
    const events = verifiedEvents('ev-rolled');
    expect(events.map((e) => e.type)).toEqual(['rotation.started', 'rotation.rolled_back']);
    expectNoSecret(events, [old.key]);
  });

  it('a rotation that holds sends rotation.held, then rotation.failed when the hold times out', async () => {
    const old = await h.adoptKey(['held.env']);
    const worker = await h.worker();
    const error = await worker.runUntil(async () => {
      const rotation = h.rotation(
        'ev-held',
        {
          ...webhookTo('/ok'),
          gracePeriod: '2s',
          verify: { requireTrafficMoved: true, trafficHoldTimeout: '3s' },
        },
        ['held.env'],
      );
      const error = await (await h.startRotation(rotation)).result().catch((e: unknown) => e);
      await acceptedEvent('ev-held', 'rotation.failed');
      return error;
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const events = verifiedEvents('ev-held');
    expect(events.map((e) => e.type)).toEqual(['rotation.started', 'rotation.held', 'rotation.failed']);
    const held = events[1]!;
    expect(held.data.step).toBe('hold');
    expect(held.data.oldKey?.hash).toBe(old.hash);
    expect(held.data.newKey?.label).toMatch(/^sk-or-v1-/);
    expect(events[2]!.data.error).toMatch(/did not move/);
    expectNoSecret(events, [old.key, (await h.readKeyFrom('held.env'))!]);
  });

  it('a receiver that answers 500 three times then 200 gets each event exactly once, same id, and the rotation is unaffected', async () => {
    await h.adoptKey(['flaky.env']);
    const worker = await h.worker();
    const { result, succeeded } = await worker.runUntil(async () => {
      const result = await (
        await h.startRotation(h.rotation('ev-flaky', webhookTo('/flaky'), ['flaky.env']))
      ).result();
      return { result, succeeded: await acceptedEvent('ev-flaky', 'rotation.succeeded', '/flaky') };
    });
    expect(result.outcome).toBe('succeeded');
    const attempts = receiver.requests.filter((r) => r.headers['webhook-id'] === succeeded.id);
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(receiver.accepted('/flaky').filter((r) => r.headers['webhook-id'] === succeeded.id)).toHaveLength(
      1,
    );
    // Every attempt is signed afresh (its own timestamp) and verifies.
    const verifier = new Webhook(secret);
    for (const r of attempts) verifier.verify(r.body, r.headers as Record<string, string>);
  });

  it('a sink that keeps failing does not change the outcome, and status names it', async () => {
    await h.adoptKey(['gone.env']);
    const worker = await h.worker();
    const { result, failing } = await worker.runUntil(async () => {
      const result = await (
        await h.startRotation(h.rotation('ev-gone', webhookTo('/gone'), ['gone.env']))
      ).result();
      for (let i = 0; i < 300; i++) {
        const failing = await failingNotifications(h.client, 'ev-gone');
        if (failing) return { result, failing };
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('status never showed the failing sink');
    });
    expect(result.outcome).toBe('succeeded');
    expect(failing.message).toMatch(/webhook #1: .*HTTP 410/);
    expect(failing.message).not.toContain('/gone');
    expect(receiver.requests.filter((r) => r.path === '/gone').every((r) => r.status === 410)).toBe(true);
    const status = await runKeyRotator(['status', 'ev-gone'], {
      env: { KEY_ROTATOR_CODEC_KEY: h.keyringJson },
    });
    expect(status.stdout).toMatch(/notifications +FAILING since .*: .*webhook #1: .*HTTP 410/);
  });
});
