/**
 * End to end on the real Temporal dev server: a rotation storing into Azure Key Vault and a file at
 * once, one rolled back mid-run, and one the worker policy refuses. Key Vault is the in-repo FAKE of
 * test/stores/azure-key-vault-fake.ts (Lowkey Vault cannot be had here), reached by Microsoft's SDK
 * over HTTPS with an app registration's client secret from the worker's environment.
 */
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { labelOfKey } from '../../src/errors/redact.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { DATA_ACTION, KeyVaultFake, trustKeyVaultFake } from '../stores/azure-key-vault-fake.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

const WRITER = '00000000-0000-4000-8000-00000000000a';
const READER = '00000000-0000-4000-8000-00000000000b';
const UPDATELESS = '00000000-0000-4000-8000-00000000000c';
const SECRET_ENV: Record<string, string> = {
  [READER]: 'AZ_READER_SECRET',
  [UPDATELESS]: 'AZ_UPDATELESS_SECRET',
};
let h: RotationHarness;
let fake: KeyVaultFake;

beforeAll(async () => {
  [h, fake] = await Promise.all([createRotationHarness(), KeyVaultFake.start()]);
  trustKeyVaultFake(fake);
  fake.addApp(WRITER, 'writer-secret');
  fake.addApp(READER, 'reader-secret', [DATA_ACTION.get, DATA_ACTION.readMetadata]);
  fake.addApp(UPDATELESS, 'updateless-secret', [DATA_ACTION.get, DATA_ACTION.readMetadata, DATA_ACTION.set]);
  h.workerEnv.AZ_WRITER_SECRET = 'writer-secret';
  h.workerEnv.AZ_READER_SECRET = 'reader-secret';
  h.workerEnv.AZ_UPDATELESS_SECRET = 'updateless-secret';
  h.allow({
    azureVaultUrls: [fake.vaultUrl],
    azureAuthorityHosts: [fake.authorityHost],
    azureSecrets: ['acme/apps-*'],
    credentialEnvs: ['AZ_WRITER_SECRET', 'AZ_READER_SECRET', 'AZ_UPDATELESS_SECRET'],
  });
}, 180_000);
afterAll(async () => {
  await Promise.all([h?.close(), fake?.stop()]);
});

async function run(rotation: RotationConfig) {
  const worker = await h.worker();
  return worker.runUntil(async () => {
    const handle = await h.startRotation(rotation);
    return handle.result().catch((e: unknown) => e as Error);
  });
}

function keyVault(secret: string, clientId = WRITER) {
  return {
    type: 'azure-key-vault',
    vaultUrl: fake.vaultUrl,
    secret,
    authorityHost: fake.authorityHost,
    credentials: {
      method: 'client-secret',
      tenantId: fake.tenantId,
      clientId,
      clientSecret: { env: SECRET_ENV[clientId] ?? 'AZ_WRITER_SECRET' },
    },
  };
}

describe('Azure Key Vault in a rotation', () => {
  it('sets the new key as a version beside the file, deletes the old key, then disables the version holding it', async () => {
    const old = await h.adoptKey(['azure-ok.env']);
    fake.seed('apps-azure-ok', old.key);
    const rotation = h.rotation('azure-ok', {
      destinations: [keyVault('apps-azure-ok'), { type: 'file', path: join(h.dir, 'azure-ok.env') }],
    });
    const result = await run(rotation);
    if (result instanceof Error) throw result;
    const newKey = (await h.readKeyFrom('azure-ok.env'))!;
    expect(result.newKey?.hash).toBe(hashOfKey(newKey));
    expect(
      fake.view('apps-azure-ok')?.map((v) => [v.value, v.enabled, v.tags['key-rotator-rotation']]),
    ).toEqual([
      [old.key, false, undefined],
      [newKey, true, 'azure-ok'],
    ]);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
  });

  it('a version that cannot be disabled leaves the rotation succeeded, with a warning naming the data action', async () => {
    const old = await h.adoptKey(['azure-warn.env']);
    fake.seed('apps-azure-warn', old.key);
    const rotation = h.rotation('azure-warn', {
      destinations: [
        keyVault('apps-azure-warn', UPDATELESS),
        { type: 'file', path: join(h.dir, 'azure-warn.env') },
      ],
    });
    const result = await run(rotation);
    if (result instanceof Error) throw result;
    expect(result.outcome).toBe('succeeded');
    expect(result.oldKeyDeleted).toBe(true);
    expect(result.warnings.join('\n')).toContain(
      'the versions holding the deleted key ' +
        `${labelOfKey(old.key)} were not retired (azure-key-vault:acme/apps-azure-warn: Key Vault refused ` +
        'to disable version',
    );
    expect(result.warnings.join('\n')).toContain('Microsoft.KeyVault/vaults/secrets/update/action');
    expect(fake.view('apps-azure-warn')?.map((v) => v.enabled)).toEqual([true, true]);
  });

  it('a destination refused after Key Vault took the new key rolls back: the old key is the newest version again', async () => {
    const old = await h.adoptKey(['azure-rollback.env']);
    fake.seed('apps-azure-rollback', old.key);
    fake.seed('apps-azure-rollback-ro', old.key);
    const rotation = h.rotation('azure-rollback', {
      destinations: [
        keyVault('apps-azure-rollback'),
        { type: 'file', path: join(h.dir, 'azure-rollback.env') },
        // Readable, not writable: its write fails for want of setSecret, after the two before it took the new key.
        keyVault('apps-azure-rollback-ro', READER),
      ],
    });
    const error = await run(rotation);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('rolled back');
    expect(message).toContain('Microsoft.KeyVault/vaults/secrets/setSecret/action');
    const versions = fake.view('apps-azure-rollback')!;
    expect(versions.map((v) => v.value)).toEqual([old.key, expect.not.stringMatching(old.key), old.key]);
    expect(versions.at(-1)?.enabled).toBe(true);
    expect(fake.view('apps-azure-rollback-ro')?.map((v) => v.value)).toEqual([old.key]);
    expect(await h.readKeyFrom('azure-rollback.env')).toBe(old.key);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBeFalsy();
    const created = h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator azure-rollback '));
    expect(created.length).toBeGreaterThan(0);
    expect(created.every((k) => k.deleted)).toBe(true);
  });

  it('the worker policy refuses a secret outside its list before anything is created or written', async () => {
    const old = await h.adoptKey(['azure-refused.env']);
    fake.seed('other-azure-refused', old.key);
    const rotation = h.rotation('azure-refused', {
      destinations: [
        keyVault('other-azure-refused'),
        { type: 'file', path: join(h.dir, 'azure-refused.env') },
      ],
    });
    const error = await run(rotation);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('preflight failed, nothing was changed');
    expect(message).toContain(
      "destinations[0].secret: Key Vault secret acme/other-azure-refused is not in the worker policy's destinations.azureSecrets (allowed: acme/apps-*)",
    );
    expect(fake.view('other-azure-refused')?.map((v) => v.value)).toEqual([old.key]);
  });
});
