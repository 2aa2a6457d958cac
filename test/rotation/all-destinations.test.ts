import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { startInfisicalFake, type InfisicalFake } from '../stores/infisical-fake.js';
import { startMotoServer, type MotoServer } from '../stores/moto-server.js';
import { startOpenBaoServer, type OpenBaoServer } from '../stores/openbao-server.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
let moto: MotoServer;
let bao: OpenBaoServer;
let infisical: InfisicalFake;
let aws: SecretsManagerClient;

beforeAll(async () => {
  // The AWS SDK's provider chain reads these from the worker's (this process's) environment.
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  [h, moto, bao, infisical] = await Promise.all([
    createRotationHarness(),
    startMotoServer(),
    startOpenBaoServer(),
    startInfisicalFake({
      clientId: 'rotator',
      clientSecret: 'rotator-secret-abc',
      projects: { shop: ['prod'] },
    }),
  ]);
  aws = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  h.workerEnv.VAULT_TOKEN = bao.rootToken;
  h.workerEnv.INFISICAL_CLIENT_ID = 'rotator';
  h.workerEnv.INFISICAL_CLIENT_SECRET = 'rotator-secret-abc';
  h.allow({
    awsEndpoints: [moto.endpoint],
    vaultAddresses: [bao.address],
    infisicalSiteUrls: [infisical.siteUrl],
    credentialEnvs: ['VAULT_TOKEN', 'VAULT_READONLY_TOKEN', 'INFISICAL_CLIENT_ID', 'INFISICAL_CLIENT_SECRET'],
  });
});
afterAll(async () => {
  aws?.destroy();
  await Promise.all([h?.close(), moto?.stop(), bao?.stop(), infisical?.stop()]);
});

/** Loosely typed answers of the OpenBao API, as tests read them. */
type VaultAnswer = {
  data: { data: Record<string, string>; metadata: { version: number } };
  auth: { client_token: string };
};

async function vault(
  method: string,
  path: string,
  body?: unknown,
  token = bao.rootToken,
): Promise<VaultAnswer> {
  const res = await fetch(`${bao.address}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as VaultAnswer;
}

async function awsValue(secretId: string, stage: string): Promise<string | undefined> {
  return (await aws.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage })))
    .SecretString;
}

/** Puts the same hand-made key in all four destinations and returns the rotation config. */
async function setUp(
  name: string,
): Promise<{ rotation: RotationConfig; old: { key: string; hash: string } }> {
  const old = await h.adoptKey([`${name}.env`]);
  await aws.send(new CreateSecretCommand({ Name: `${name}/openrouter`, SecretString: old.key }));
  await vault('POST', `secret/data/apps/${name}`, {
    data: { OPENROUTER_API_KEY: old.key, DATABASE_URL: 'postgres://db' },
  });
  infisical.setSecret('shop', 'prod', '/', `${name.toUpperCase()}_OPENROUTER_KEY`, old.key);
  const rotation = h.rotation(name, {
    destinations: [
      { type: 'file', path: join(h.dir, `${name}.env`) },
      {
        type: 'aws-secrets-manager',
        secretId: `${name}/openrouter`,
        region: 'us-east-1',
        endpoint: moto.endpoint,
      },
      {
        type: 'vault',
        address: bao.address,
        path: `apps/${name}`,
        auth: {
          method: 'token',
          token: { env: name === 'vaultfails' ? 'VAULT_READONLY_TOKEN' : 'VAULT_TOKEN' },
        },
      },
      {
        type: 'infisical',
        siteUrl: infisical.siteUrl,
        projectId: 'shop',
        environment: 'prod',
        secretName: `${name.toUpperCase()}_OPENROUTER_KEY`,
        auth: { clientId: { env: 'INFISICAL_CLIENT_ID' }, clientSecret: { env: 'INFISICAL_CLIENT_SECRET' } },
      },
    ],
  });
  return { rotation, old };
}

async function run(rotation: RotationConfig) {
  const worker = await h.worker();
  return worker.runUntil(async () => {
    const handle = await h.startRotation(rotation);
    return handle.result().catch((e: unknown) => e as Error);
  });
}

describe('a rotation with all four destinations', () => {
  it('ends with the new key in every destination, the previous version kept, the old key deleted', async () => {
    const { rotation, old } = await setUp('everywhere');
    const result = await run(rotation);
    if (result instanceof Error) throw result;

    const newKey = (await h.readKeyFrom('everywhere.env'))!;
    expect(newKey).not.toBe(old.key);
    expect(result.newKey?.hash).toBe(hashOfKey(newKey));
    expect(result.destinations.map((d) => d.destination.split(':')[0])).toEqual([
      'file',
      'aws-secrets-manager',
      'vault',
      'infisical',
    ]);
    // File: previous value kept beside it for rollback.
    expect(await readFile(join(h.dir, 'everywhere.env.previous'), 'utf8')).toContain(old.key);
    // AWS: AWSCURRENT is new, AWSPREVIOUS the old one.
    expect(await awsValue('everywhere/openrouter', 'AWSCURRENT')).toBe(newKey);
    expect(await awsValue('everywhere/openrouter', 'AWSPREVIOUS')).toBe(old.key);
    // Vault: a new version with the other fields kept; version 1 still holds the old key.
    const current = await vault('GET', 'secret/data/apps/everywhere');
    expect(current.data.data).toEqual({ OPENROUTER_API_KEY: newKey, DATABASE_URL: 'postgres://db' });
    expect(current.data.metadata.version).toBe(2);
    expect((await vault('GET', 'secret/data/apps/everywhere?version=1')).data.data.OPENROUTER_API_KEY).toBe(
      old.key,
    );
    // Infisical: the value changed as a new version.
    const inf = infisical.getSecret('shop', 'prod', '/', 'EVERYWHERE_OPENROUTER_KEY')!;
    expect(inf.value).toBe(newKey);
    expect(inf.version).toBeGreaterThan(1);

    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    expect(h.liveKeys().filter((k) => k.name.includes('key-rotator everywhere '))).toHaveLength(1);
  });

  it('when the third destination fails, the first two are back on the old key and the new key is deleted', async () => {
    // A token that may read the secret but not write it.
    await vault('PUT', 'sys/policies/acl/read-only', {
      policy: 'path "secret/data/apps/*" { capabilities = ["read"] }',
    });
    const token = (await vault('POST', 'auth/token/create', { policies: ['read-only'], ttl: '1h' })).auth
      .client_token;
    h.workerEnv.VAULT_READONLY_TOKEN = token;
    const { rotation, old } = await setUp('vaultfails');

    const error = await run(rotation);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('rolled back');
    expect(message).toContain('vault:secret/apps/vaultfails');
    expect(message).toMatch(/permission|denied|refused|403/i);
    expect(message).not.toContain(token);

    expect(await h.readKeyFrom('vaultfails.env')).toBe(old.key);
    expect(await awsValue('vaultfails/openrouter', 'AWSCURRENT')).toBe(old.key);
    expect((await vault('GET', 'secret/data/apps/vaultfails')).data.data.OPENROUTER_API_KEY).toBe(old.key);
    expect(infisical.getSecret('shop', 'prod', '/', 'VAULTFAILS_OPENROUTER_KEY')?.value).toBe(old.key);
    const created = h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator vaultfails '));
    expect(created).toHaveLength(1);
    expect(created[0]!.deleted).toBe(true);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
  });
});
