/**
 * A rotation whose destination points at something that is not an OpenRouter key (another team's
 * database password in Vault, a placeholder in a file) refuses it, and no part of that value
 * shows anywhere: not in the workflow's full history (raw, or decoded with the project's codec
 * as the Web UI would), not in the worker's log, not in the lifecycle events a webhook receives.
 * Before this fix the read recorded the value's SHA-256 and a 3+4-character label, which showed
 * 7 of an 8-character password.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { createActivities } from '../../src/activities/index.js';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';
import type { RotationConfig } from '../../src/config/schema.js';
import { labelOfKey } from '../../src/errors/redact.js';
import { payloadsIn } from '../support/history-payloads.js';
import { waitFor } from '../support/net.js';
import { startOpenBaoServer, type OpenBaoServer } from '../stores/openbao-server.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { spawnWorker, type SpawnedWorker } from '../rotation/spawned-worker.js';
import { startWebhookReceiver, type WebhookReceiver } from '../events/webhook-receiver.js';

const WEBHOOK_SECRET_ENV = 'TEST_WEBHOOK_SECRET';
let h: RotationHarness;
let bao: OpenBaoServer;
let receiver: WebhookReceiver;
let worker: SpawnedWorker;

beforeAll(async () => {
  [h, bao, receiver] = await Promise.all([
    createRotationHarness(),
    startOpenBaoServer(),
    startWebhookReceiver(),
  ]);
  h.workerEnv.VAULT_TOKEN = bao.rootToken;
  h.workerEnv[WEBHOOK_SECRET_ENV] = `whsec_${randomBytes(32).toString('base64')}`;
  h.allow({
    vaultAddresses: [bao.address],
    webhookOrigins: [receiver.origin],
    credentialEnvs: ['VAULT_TOKEN', WEBHOOK_SECRET_ENV],
  });
  worker = await spawnWorker(h.workerEnv);
});
afterAll(async () => {
  await worker?.stop();
  await Promise.all([h?.close(), bao?.stop(), receiver?.close()]);
});

/**
 * An 8-character password whose every 3-character window holds a character that never appears in
 * base64, hex or a label alphabet, so finding any window anywhere means the value leaked.
 */
function password(): string {
  const letters = randomBytes(4).toString('hex').replace(/[0-9]/g, 'q').slice(0, 4);
  return `${letters[0]}!${letters[1]}%${letters[2]}&${letters[3]}*`;
}

/**
 * Every form in which part of `value` could leak: 3-character windows, its hash and label, and
 * base64 of it at each alignment (whole 3-byte groups only: 8 characters, too long to occur by chance).
 */
function partsOf(value: string): string[] {
  const windows = Array.from({ length: value.length - 2 }, (_, i) => value.slice(i, i + 3));
  const base64 = [0, 1, 2].map((shift) => {
    const bytes = Buffer.from(value.slice(shift));
    return bytes.subarray(0, bytes.length - (bytes.length % 3)).toString('base64');
  });
  return [
    ...new Set([...windows, ...base64, labelOfKey(value), createHash('sha256').update(value).digest('hex')]),
  ];
}

function expectNoPartOf(value: string, where: string, text: string): void {
  for (const part of partsOf(value)) expect(text, `${where} holds "${part}"`).not.toContain(part);
}

const webhook = () => ({
  notifications: [{ type: 'webhook', url: `${receiver.origin}/ok`, secret: { env: WEBHOOK_SECRET_ENV } }],
});

async function vault(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${bao.address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': bao.rootToken },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs `rotation` on the spawned worker; it must fail, naming the value only as not a key. */
async function refusedRun(rotation: RotationConfig, secret: string): Promise<void> {
  const keysBefore = h.liveKeys().length;
  const handle = await h.startRotation(rotation);
  const error = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const message = String((error as WorkflowFailedError).cause?.message);
  expect(message).toContain('holds a value that is not an OpenRouter key');
  expectNoPartOf(secret, 'the failure message', message);
  // Nothing was created at OpenRouter.
  expect(h.liveKeys().length).toBe(keysBefore);

  // The full history, raw and decoded with the project's codec (what the Web UI shows).
  const history = await handle.fetchHistory();
  const raw = historyToJSON(history);
  expectNoPartOf(secret, 'the raw history', raw);
  const decoded = await new EncryptionCodec(h.keyring, { foreignPayloads: 'show' }).decode(
    payloadsIn(history),
  );
  const decodedText = JSON.stringify(decoded.map((p) => defaultPayloadConverter.fromPayload(p)));
  expect(decodedText).toContain('not an OpenRouter key');
  expectNoPartOf(secret, 'the decoded history', decodedText);

  // The events the webhook received: rotation.started and rotation.failed.
  const events = await waitFor(
    async () => {
      const bodies = receiver.accepted('/ok').map((r) => r.body);
      const mine = bodies.filter((b) => (JSON.parse(b) as { subject: string }).subject === rotation.name);
      return mine.some((b) => b.includes('"rotation.failed"')) ? mine.join('\n') : undefined;
    },
    { what: `the rotation.failed event of ${rotation.name}`, timeoutMs: 60_000 },
  );
  expect(events).toContain('not an OpenRouter key');
  expectNoPartOf(secret, 'the events', events);

  expectNoPartOf(secret, 'the worker log', worker.output());
}

describe('a destination that holds a value that is not an OpenRouter key', () => {
  it('another team’s Vault secret: the rotation refuses it, and no part of the password shows anywhere', async () => {
    const secret = password();
    await vault('POST', 'secret/data/teams/payments/db', { data: { password: secret, user: 'payments' } });
    const rotation = h.rotation('foreign-vault', {
      ...webhook(),
      destinations: [
        {
          type: 'vault',
          address: bao.address,
          path: 'teams/payments/db',
          field: 'password',
          auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
        },
      ],
    });
    await refusedRun(rotation, secret);
    const after = (await vault('GET', 'secret/data/teams/payments/db')) as {
      data: { data: Record<string, string>; metadata: { version: number } };
    };
    expect(after.data.data).toEqual({ password: secret, user: 'payments' });
    expect(after.data.metadata.version).toBe(1);
  });

  it('a placeholder in a JSON file: the rotation refuses it and leaves the file as it was', async () => {
    const secret = password();
    const file = join(h.dir, 'placeholder.json');
    const content = `${JSON.stringify({ OPENROUTER_API_KEY: secret, OTHER: '1' })}\n`;
    await writeFile(file, content, { mode: 0o600 });
    const rotation = h.rotation('foreign-file', {
      ...webhook(),
      destinations: [{ type: 'file', path: file, format: 'json' }],
    });
    await refusedRun(rotation, secret);
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('verify names a value swapped in after the store step only as not an OpenRouter key', async () => {
    const secret = password();
    await writeFile(join(h.dir, 'swapped.env'), `OPENROUTER_API_KEY='${secret}'\n`, { mode: 0o600 });
    const activities = createActivities(
      createDefaultDependencies({
        sealer: new SecretSealer(h.sealingKeyring),
        env: h.workerEnv,
        policy: h.policy,
      }),
    );
    const run = new MockActivityEnvironment({
      workflowExecution: { workflowId: 'rotation-swapped', runId: 'r1' },
    });
    const error = await run
      .run(
        activities.destinations.verifyDestinations,
        h.rotation('swapped', {}, ['swapped.env']),
        'a'.repeat(64),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ApplicationFailure);
    const message = (error as ApplicationFailure).message;
    expect(message).toMatch(/swapped\.env#OPENROUTER_API_KEY holds a value that is not an OpenRouter key/);
    expectNoPartOf(secret, 'the verify failure', message);
  });
});
