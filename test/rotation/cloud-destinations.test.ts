/**
 * End to end on the real Temporal dev server, for each cloud secret manager: a full rotation
 * storing into it and a file at once, a failure at verify rolled back in both, a rotation the
 * worker policy refuses, and one whose cloud identity lacks a permission. AWS SSM Parameter
 * Store runs on moto with its IAM checks on.
 */
import { join } from 'node:path';
import { GetParameterHistoryCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import {
  createMotoIamUser,
  startMotoServer,
  type MotoIamUser,
  type MotoServer,
} from '../stores/moto-server.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

const region = 'us-east-1';
let h: RotationHarness;
let moto: MotoServer;
let ssmAdmin: SSMClient;
let ssmWriter: MotoIamUser;
let ssmReader: MotoIamUser;

beforeAll(async () => {
  [h, moto] = await Promise.all([
    createRotationHarness(),
    startMotoServer({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '9' } }),
  ]);
  const admin = await createMotoIamUser(moto, 'admin', [{ Effect: 'Allow', Action: ['*'], Resource: '*' }]);
  ssmWriter = await createMotoIamUser(moto, 'rotator', [
    {
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:LabelParameterVersion', 'ssm:AddTagsToResource'],
      Resource: '*',
    },
  ]);
  ssmReader = await createMotoIamUser(moto, 'reader', [
    { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' },
  ]);
  ssmAdmin = new SSMClient({ region, endpoint: moto.endpoint, credentials: admin });
  useAwsIdentity(ssmWriter);
  h.allow({ awsEndpoints: [moto.endpoint], ssmParameters: ['/apps/*'] });
}, 180_000);
afterAll(async () => {
  ssmAdmin?.destroy();
  await Promise.all([h?.close(), moto?.stop()]);
});

/** The AWS SDK's provider chain reads these from the worker's (this process's) environment when a store first calls. */
function useAwsIdentity(user: MotoIamUser): void {
  process.env.AWS_ACCESS_KEY_ID = user.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = user.secretAccessKey;
}

/** A fresh worker (fresh stores and clients) runs `rotation` to its end; returns the result or the error. */
async function run(rotation: RotationConfig) {
  const worker = await h.worker();
  return worker.runUntil(async () => {
    const handle = await h.startRotation(rotation);
    return handle.result().catch((e: unknown) => e as Error);
  });
}

function failureMessage(error: unknown): string {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return String((error as WorkflowFailedError).cause?.message);
}

describe('AWS SSM Parameter Store in a rotation', () => {
  async function setUp(name: string, path = `/apps/${name}/OPENROUTER_API_KEY`) {
    const old = await h.adoptKey([`${name}.env`]);
    await ssmAdmin.send(new PutParameterCommand({ Name: path, Value: old.key, Type: 'SecureString' }));
    const rotation = h.rotation(name, {
      destinations: [
        { type: 'aws-ssm-parameter', name: path, region, endpoint: moto.endpoint },
        { type: 'file', path: join(h.dir, `${name}.env`) },
      ],
    });
    return { rotation, old, path };
  }

  async function versions(path: string) {
    const out = await ssmAdmin.send(new GetParameterHistoryCommand({ Name: path, WithDecryption: true }));
    return (out.Parameters ?? []).map((p) => ({ value: p.Value, labels: p.Labels ?? [] }));
  }

  it('stores the new key as a new labelled version beside the file, then deletes the old key', async () => {
    const { rotation, old, path } = await setUp('ssm-ok');
    const result = await run(rotation);
    if (result instanceof Error) throw result;

    const newKey = (await h.readKeyFrom('ssm-ok.env'))!;
    expect(result.newKey?.hash).toBe(hashOfKey(newKey));
    expect(await versions(path)).toEqual([
      { value: old.key, labels: [] },
      { value: newKey, labels: ['current'] },
    ]);
    expect(result.destinations).toEqual([
      { destination: `aws-ssm-parameter:${path}`, version: '2' },
      { destination: expect.stringContaining('ssm-ok.env'), version: expect.any(String) },
    ]);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
  });

  it('a failure at verify leaves the old key current in Parameter Store and the file, and deletes the new key', async () => {
    const { rotation, old, path } = await setUp('ssm-verify-fails');
    h.emulator.setFaults({ freshKeyUnauthorizedMs: 3_600_000 });
    let message: string;
    try {
      message = failureMessage(await run(rotation));
    } finally {
      h.emulator.setFaults({});
    }
    expect(message).toContain('rolled back');
    const history = await versions(path);
    // The old key is the newest version again, under the label; the new key's version stays in the history.
    expect(history).toHaveLength(3);
    expect(history[2]).toEqual({ value: old.key, labels: ['current'] });
    expect(await h.readKeyFrom('ssm-verify-fails.env')).toBe(old.key);
    const created = h.emulator
      .snapshot()
      .keys.filter((k) => k.name.includes('key-rotator ssm-verify-fails '));
    expect(created.map((k) => k.deleted)).toEqual([true]);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
  });

  it('the worker policy refuses a parameter outside its paths before anything is created or written', async () => {
    const { rotation, old, path } = await setUp('ssm-refused', '/other/ssm-refused/OPENROUTER_API_KEY');
    const message = failureMessage(await run(rotation));
    expect(message).toContain('preflight failed, nothing was changed');
    expect(message).toContain(
      "destinations[0].name: Parameter Store parameter /other/ssm-refused/OPENROUTER_API_KEY is not in the worker policy's destinations.ssmParameters (allowed: /apps/*)",
    );
    expect(await versions(path)).toEqual([{ value: old.key, labels: [] }]);
    expect(h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator ssm-refused '))).toEqual([]);
  });

  it('an identity that may not write the parameter fails the rotation at once, naming it and the permission, and the file is restored', async () => {
    const name = 'ssm-denied';
    const path = `/apps/${name}/OPENROUTER_API_KEY`;
    const old = await h.adoptKey([`${name}.env`]);
    await ssmAdmin.send(new PutParameterCommand({ Name: path, Value: old.key, Type: 'SecureString' }));
    const rotation = h.rotation(name, {
      destinations: [
        { type: 'file', path: join(h.dir, `${name}.env`) },
        { type: 'aws-ssm-parameter', name: path, region, endpoint: moto.endpoint },
      ],
    });
    useAwsIdentity(ssmReader);
    let message: string;
    try {
      message = failureMessage(await run(rotation));
    } finally {
      useAwsIdentity(ssmWriter);
    }
    expect(message).toContain('rolled back');
    expect(message).toContain(`aws-ssm-parameter:${path}: AWS refused to store the new version`);
    expect(message).toContain(`ssm:PutParameter`);
    expect(message).not.toContain(ssmReader.secretAccessKey);
    expect(await versions(path)).toEqual([{ value: old.key, labels: [] }]);
    expect(await h.readKeyFrom(`${name}.env`)).toBe(old.key);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
  });
});
