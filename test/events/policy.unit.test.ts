/**
 * Notification sinks follow the worker policy like every outbound call: a webhook's origin must be
 * listed, its secret and a Slack URL come only from allowed references, a Slack URL the policy
 * does not allow is refused without being repeated, and redirects are never followed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { rotationSchema } from '../../src/config/schema.js';
import { deliverToSink } from '../../src/events/deliver-event.js';
import type { LifecycleEvent } from '../../src/events/event-types.js';
import { checkRotationAgainstPolicy, notificationUrlViolation } from '../../src/policy/check-rotation.js';
import { policyFor } from '../support/worker-policy.js';

const rotation = (notifications: unknown[]) =>
  rotationSchema.parse({
    name: 'policy-sinks',
    openrouter: { baseUrl: 'http://127.0.0.1:1/api/v1', key: { name: 'k' } },
    schedule: { intervalDays: 7 },
    destinations: [{ type: 'file', path: '/tmp/x.env' }],
    notifications,
  });

const event: LifecycleEvent = {
  specversion: '1.0',
  id: 'key-rotator-event-0194f3a2-7c1e-7d35-9b2a-5e8c1f0a6b3d-1-rotation.failed',
  source: '/key-rotator/rotations/policy-sinks',
  type: 'rotation.failed',
  subject: 'policy-sinks',
  time: '2026-11-27T03:00:00.000Z',
  datacontenttype: 'application/json',
  data: {
    rotation: 'policy-sinks',
    workflowId: 'rotation-policy-sinks',
    runId: '0194f3a2-7c1e-7d35-9b2a-5e8c1f0a6b3d',
    reason: 'manual',
    step: 'failed',
    destinations: [],
  },
};

describe('notification sinks and the worker policy', () => {
  it('refuses a webhook origin the policy does not list and secrets it does not allow', () => {
    const sinks = rotation([
      { type: 'webhook', url: 'https://hooks.example.com/k', secret: { env: 'HOOK_SECRET' } },
      { type: 'slack', webhookUrl: { env: 'SLACK_URL' } },
    ]);
    const refused = checkRotationAgainstPolicy(sinks, policyFor({}), { cwd: '/' }).map((v) => v.path);
    expect(refused).toEqual(
      expect.arrayContaining([
        'notifications[0].url',
        'notifications[0].secret.env',
        'notifications[1].webhookUrl.env',
      ]),
    );
    const allowed = policyFor({
      webhookOrigins: ['https://hooks.example.com'],
      credentialEnvs: ['HOOK_SECRET', 'SLACK_URL'],
    });
    expect(
      checkRotationAgainstPolicy(sinks, allowed, { cwd: '/' }).filter((v) =>
        v.path.startsWith('notifications'),
      ),
    ).toEqual([]);
  });

  it('judges a Slack URL by its origin, and never repeats the URL', () => {
    const policy = policyFor({ webhookOrigins: ['https://hooks.slack.com'] });
    expect(
      notificationUrlViolation('https://hooks.slack.com/services/T0/B0/secretpart', policy),
    ).toBeUndefined();
    const refused = notificationUrlViolation('https://evil.example.com/services/T0/B0/secretpart', policy);
    expect(refused).toMatch(/evil\.example\.com is not in the worker policy's notifications\.webhookOrigins/);
    expect(refused).not.toContain('secretpart');
    expect(notificationUrlViolation('http://hooks.example.com/x', policy)).toMatch(/clear text/);
  });

  it('does not send to a Slack URL outside the policy, and says so without the URL', async () => {
    let sent = 0;
    const sink = { type: 'slack' as const, webhookUrl: { env: 'SLACK_URL' } };
    const error = await deliverToSink(sink, 0, event, {
      env: { SLACK_URL: 'https://evil.example.com/services/T0/B0/secretpart' },
      cwd: '/',
      refuseSecretRef: () => undefined,
      refuseUrl: (url) =>
        notificationUrlViolation(url, policyFor({ webhookOrigins: ['https://hooks.slack.com'] })),
      fetch: () => {
        sent++;
        return Promise.resolve(new Response(null, { status: 200 }));
      },
    }).catch((e: unknown) => e);
    expect(sent).toBe(0);
    expect(String(error)).toMatch(/NotificationError|notification sink slack #1/);
    expect(String(error)).not.toContain('secretpart');
  });

  it('never follows a redirect: the signed event is not sent on', async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/hook') res.writeHead(307, { location: '/elsewhere' }).end();
      else res.writeHead(200).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const error = await deliverToSink(
        { type: 'webhook', url: `${origin}/hook`, secret: { env: 'S' } },
        0,
        event,
        {
          env: { S: `whsec_${Buffer.alloc(24, 3).toString('base64')}` },
          cwd: '/',
          refuseSecretRef: () => undefined,
          refuseUrl: () => undefined,
        },
      ).catch((e: unknown) => e as Error & { retryable: boolean });
      expect(error).toMatchObject({ name: 'NotificationError', retryable: false });
      expect(String(error)).toMatch(/redirect \(307\); redirects are not followed/);
      expect(hits).toEqual(['/hook']);
    } finally {
      server.close();
    }
  });
});
