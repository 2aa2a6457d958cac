/**
 * End to end on the real Temporal dev server: a rotation storing into Google Cloud Secret Manager
 * and a file at once, and one the worker policy refuses. Secret Manager is the in-repo FAKE of
 * test/stores/gcp-secret-manager-fake.ts (no emulator can be had here), reached by Google's client
 * library over TLS with Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { SecretManagerFake, writeServiceAccountKey } from '../stores/gcp-secret-manager-fake.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

// gRPC reads its trusted roots' path once, when it loads: before any import loads it.
const caFile = vi.hoisted(() => {
  const file = `${process.env.TMPDIR ?? '/tmp'}/gcp-fake-ca-${process.pid}.pem`;
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = file;
  return file;
});

const project = 'acme-test';
let h: RotationHarness;
let fake: SecretManagerFake;

beforeAll(async () => {
  [h, fake] = await Promise.all([createRotationHarness(), SecretManagerFake.start(caFile)]);
  process.env.GOOGLE_APPLICATION_CREDENTIALS = writeServiceAccountKey(
    mkdtempSync(join(tmpdir(), 'gcp-adc-')),
    'rotator',
  ).file;
  h.allow({ gcpSecretManagerEndpoints: [fake.endpoint], gcpSecrets: [`${project}/apps-*`] });
}, 180_000);
afterAll(async () => {
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  await Promise.all([h?.close(), fake?.stop()]);
});

async function run(rotation: RotationConfig) {
  const worker = await h.worker();
  return worker.runUntil(async () => {
    const handle = await h.startRotation(rotation);
    return handle.result().catch((e: unknown) => e as Error);
  });
}

describe('GCP Secret Manager in a rotation', () => {
  async function setUp(name: string, secret: string) {
    const old = await h.adoptKey([`${name}.env`]);
    fake.seed(`projects/${project}/secrets/${secret}`, old.key);
    const rotation = h.rotation(name, {
      destinations: [
        { type: 'gcp-secret-manager', project, secret, versionAlias: 'current', endpoint: fake.endpoint },
        { type: 'file', path: join(h.dir, `${name}.env`) },
      ],
    });
    return { rotation, old, secretName: `projects/${project}/secrets/${secret}` };
  }

  it('adds the new key as a version under the alias beside the file, deletes the old key, then disables the old version', async () => {
    const { rotation, old, secretName } = await setUp('gcp-ok', 'apps-gcp-ok');
    const result = await run(rotation);
    if (result instanceof Error) throw result;
    const newKey = (await h.readKeyFrom('gcp-ok.env'))!;
    expect(result.newKey?.hash).toBe(hashOfKey(newKey));
    expect(fake.view(secretName)?.versions).toEqual([
      { value: old.key, state: 'DISABLED', aliases: [] },
      { value: newKey, state: 'ENABLED', aliases: ['current'] },
    ]);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
  });

  it('the worker policy refuses a secret outside its list before anything is created or written', async () => {
    const { rotation, old, secretName } = await setUp('gcp-refused', 'other-gcp-refused');
    const error = await run(rotation);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('preflight failed, nothing was changed');
    expect(message).toContain(
      `destinations[0].secret: Secret Manager secret ${project}/other-gcp-refused is not in the worker policy's destinations.gcpSecrets (allowed: ${project}/apps-*)`,
    );
    expect(fake.view(secretName)?.versions).toEqual([{ value: old.key, state: 'ENABLED', aliases: [] }]);
  });
});
