/**
 * The Slack message of each kind of event, as a person reads it in Slack, kept in
 * test/fixtures/slack-messages.txt for review. Re-record after an intended change with
 * UPDATE_SLACK_FIXTURE=1 npx vitest run test/events-slack-message.test.ts, and read the diff.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { eventLogLine } from '../../src/events/event-summary.js';
import { lifecycleEventSchema, type EventType, type LifecycleEvent } from '../../src/events/event-types.js';
import { slackMessage, slackMessageAsText } from '../../src/events/slack-message.js';
import { signingKeyOf, standardWebhookHeaders } from '../../src/events/webhook-signature.js';

const fixture = fileURLToPath(new URL('../fixtures/slack-messages.txt', import.meta.url));
const RUN_ID = '0194f3a2-7c1e-7d35-9b2a-5e8c1f0a6b3d';
const OLD = { label: 'sk-or-v1-4f1...9c2e', hash: 'a'.repeat(64) };
const NEW = { label: 'sk-or-v1-b07...13d8', hash: 'b'.repeat(64) };

function sample(type: EventType, sequence: number, data: Partial<LifecycleEvent['data']>): LifecycleEvent {
  return lifecycleEventSchema.parse({
    specversion: '1.0',
    id: `key-rotator-event-${RUN_ID}-${sequence}-${type}`,
    source: '/key-rotator/rotations/checkout-prod',
    type,
    subject: 'checkout-prod',
    time: '2026-11-27T03:00:42.000Z',
    datacontenttype: 'application/json',
    data: {
      rotation: 'checkout-prod',
      workflowId: 'rotation-checkout-prod',
      runId: RUN_ID,
      reason: 'scheduled',
      step: 'done',
      destinations: ['vault:secret/apps/checkout#OPENROUTER_API_KEY', 'file:/srv/checkout/.env'],
      webUiUrl: `https://temporal.example.com/namespaces/default/workflows/rotation-checkout-prod/${RUN_ID}/history`,
      ...data,
    },
  });
}

const samples: LifecycleEvent[] = [
  sample('rotation.succeeded', 2, { oldKey: OLD, newKey: NEW }),
  sample('rotation.rolled_back', 2, {
    step: 'failed',
    oldKey: OLD,
    newKey: NEW,
    error: 'vault:secret/apps/checkout#OPENROUTER_API_KEY: check-and-set mismatch <cas=4>',
  }),
  sample('rotation.held', 2, { step: 'hold', oldKey: OLD, newKey: NEW }),
  sample('rotation.failed', 3, {
    step: 'failed',
    oldKey: OLD,
    newKey: NEW,
    error: 'traffic did not move to the new key within 24h',
  }),
  sample('rotation.paused', 2, {
    step: 'grace',
    reason: 'manual',
    note: 'leak drill',
    pauseReason: 'waiting for deploy',
  }),
  sample('key.expiring', 1, { step: 'preflight', oldKey: OLD, expiresAt: '2026-11-29T03:00:00.000Z' }),
];

describe('Slack message', () => {
  it('reads as the fixture: headline, details, destinations and a link to the run', async () => {
    const text = samples
      .map((event) => `── ${event.type}\n${slackMessageAsText(slackMessage(event))}`)
      .join('\n');
    if (process.env.UPDATE_SLACK_FIXTURE === '1') await writeFile(fixture, text);
    expect(text).toBe(await readFile(fixture, 'utf8'));
  });

  it('escapes Slack control characters in our text and puts the link in Slack link syntax', () => {
    const message = slackMessage(samples[1]!);
    expect(JSON.stringify(message)).toContain('&lt;cas=4&gt;');
    expect(JSON.stringify(message)).toContain(`<https://temporal.example.com/namespaces/default/workflows/`);
  });
});

describe('log line', () => {
  it('is one line per event with type, rotation, keys by label, run and id', () => {
    const line = eventLogLine(samples[0]!);
    expect(line).not.toContain('\n');
    expect(line).toBe(
      `key-rotator event rotation.succeeded checkout-prod: rotated; new key ${NEW.label} replaced ${OLD.label} (deleted); ` +
        `step done; started by the schedule; run ${RUN_ID}; id key-rotator-event-${RUN_ID}-2-rotation.succeeded`,
    );
  });
});

describe('Standard Webhooks signature', () => {
  it('verifies with the official package and fails with another secret', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = JSON.stringify(samples[0]);
    const headers = standardWebhookHeaders(signingKeyOf(secret)!, samples[0]!.id, new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(samples[0]);
    expect(() =>
      new Webhook('whsec_' + Buffer.alloc(24, 1).toString('base64')).verify(body, headers),
    ).toThrow();
  });

  it('refuses a secret that is not base64 of 16 or more bytes', () => {
    expect(signingKeyOf('whsec_short')).toBeUndefined();
    expect(signingKeyOf('not base64 at all!')).toBeUndefined();
  });
});
