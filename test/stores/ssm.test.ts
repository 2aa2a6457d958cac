/**
 * The AWS SSM Parameter Store destination against a real moto server: SecureString versions under
 * a label, restore, a retry after a lost reply, a concurrent writer, refused permissions (moto with
 * its IAM checks on), and the worker policy's parameter paths.
 */
import {
  GetParameterHistoryCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SSM,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotationSchema } from '../../src/config/schema.js';
import type { AwsSsmParameterDestinationConfig } from '../../src/stores/aws-ssm-parameter/schema.js';
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../src/errors/rotator-errors.js';
import { checkRotationAgainstPolicy } from '../../src/policy/index.js';
import {
  awsSsmParameterDestinationSchema,
  AwsSsmParameterStore,
  type ParameterStoreApi,
} from '../../src/stores/aws-ssm-parameter/index.js';
import { createMotoIamUser, startMotoServer, type MotoIamUser, type MotoServer } from './moto-server.js';
import { policyFor } from '../support/worker-policy.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const region = 'us-east-1';
let tokenCounter = 0;
const token = () => ({
  idempotencyToken: `ssm-test-${String(++tokenCounter).padStart(4, '0')}-store-000000000000`,
  rotation: 'checkout',
});

describe('AWS SSM Parameter Store destination against moto (IAM checks on)', () => {
  let moto: MotoServer;
  let admin: MotoIamUser;
  let writer: MotoIamUser;
  let reader: MotoIamUser;
  let adminClient: SSMClient;
  let counter = 0;

  beforeAll(async () => {
    // Three users × three unauthenticated IAM calls each; every call after that is checked.
    moto = await startMotoServer({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '9' } });
    admin = await createMotoIamUser(moto, 'admin', [{ Effect: 'Allow', Action: ['*'], Resource: '*' }]);
    // What docs/operations.md tells operators to grant (moto checks actions, not resource ARNs,
    // so the read-only identity is a user of its own).
    writer = await createMotoIamUser(moto, 'rotator', [
      {
        Effect: 'Allow',
        Action: [
          'ssm:GetParameter',
          'ssm:PutParameter',
          'ssm:LabelParameterVersion',
          'ssm:AddTagsToResource',
        ],
        Resource: '*',
      },
      { Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*' },
    ]);
    reader = await createMotoIamUser(moto, 'reader', [
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' },
    ]);
    adminClient = new SSMClient({ region, endpoint: moto.endpoint, credentials: admin });
  }, 60_000);
  afterAll(async () => {
    adminClient?.destroy();
    await moto?.stop();
  });

  function config(name: string, extra: Partial<AwsSsmParameterDestinationConfig> = {}) {
    return awsSsmParameterDestinationSchema.parse({
      type: 'aws-ssm-parameter',
      name,
      region,
      endpoint: moto.endpoint,
      ...extra,
    });
  }
  const storeFor = (
    name: string,
    client?: ParameterStoreApi,
    extra: Partial<AwsSsmParameterDestinationConfig> = {},
  ) =>
    new AwsSsmParameterStore(
      config(name, extra),
      client ? { client } : { clientConfig: { credentials: writer } },
    );

  async function createParameter(value: string, type: 'SecureString' | 'String' = 'SecureString') {
    const name = `/apps/checkout-${++counter}/OPENROUTER_API_KEY`;
    await adminClient.send(new PutParameterCommand({ Name: name, Value: value, Type: type }));
    return name;
  }

  async function history(name: string) {
    const out = await adminClient.send(new GetParameterHistoryCommand({ Name: name, WithDecryption: true }));
    return (out.Parameters ?? []).map((p) => ({
      version: p.Version,
      value: p.Value,
      labels: p.Labels ?? [],
      keyId: p.KeyId,
    }));
  }

  it('writes a new SecureString version under the label, keeps the old one, and restores it as the newest', async () => {
    const name = await createParameter(OLD_KEY);
    const store = storeFor(name);
    expect(await store.read()).toEqual({ value: OLD_KEY, version: '1' });

    const written = await store.write(NEW_KEY, token());
    expect(written.version).toBe('2');
    expect(await store.read()).toEqual({ value: NEW_KEY, version: '2' });
    expect(await history(name)).toEqual([
      { version: 1, value: OLD_KEY, labels: [], keyId: expect.any(String) },
      { version: 2, value: NEW_KEY, labels: ['current'], keyId: 'alias/aws/ssm' },
    ]);

    const restored = await store.restore(OLD_KEY, token());
    expect(restored.version).toBe('3');
    expect(await store.read()).toEqual({ value: OLD_KEY, version: '3' });
    expect((await history(name)).map((v) => [v.version, v.labels])).toEqual([
      [1, []],
      [2, []],
      [3, ['current']],
    ]);
  });

  it('creates a missing parameter on the first write, tagged as managed by key-rotator, with the configured KMS key', async () => {
    const name = `/apps/new-${++counter}/OPENROUTER_API_KEY`;
    const store = storeFor(name, undefined, { kmsKeyId: 'alias/key-rotator' });
    expect(await store.read()).toBeNull();
    await store.write(NEW_KEY, token());
    expect(await history(name)).toEqual([
      { version: 1, value: NEW_KEY, labels: ['current'], keyId: 'alias/key-rotator' },
    ]);
    const tags = await adminClient.send(
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
    );
    expect(tags.TagList).toEqual(
      expect.arrayContaining([
        { Key: 'managed-by', Value: 'key-rotator' },
        { Key: 'key-rotator-rotation', Value: 'checkout' },
      ]),
    );
  });

  it('a retry after a lost reply adds exactly one version', async () => {
    const name = await createParameter(OLD_KEY);
    const real = new SSM({ region, endpoint: moto.endpoint, credentials: writer });
    let loseReply = true;
    const lossy: ParameterStoreApi = {
      getParameter: (input) => real.getParameter(input),
      labelParameterVersion: (input) => real.labelParameterVersion(input),
      putParameter: async (input) => {
        const out = await real.putParameter(input);
        if (loseReply) {
          loseReply = false;
          throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
        }
        return out;
      },
    };
    const store = storeFor(name, lossy);
    const sameWrite = token();
    const lost = await store.write(NEW_KEY, sameWrite).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(DestinationError);
    expect((lost as DestinationError).retryable).toBe(true);

    const retried = await store.write(NEW_KEY, sameWrite);
    expect(retried.version).toBe('2');
    expect((await history(name)).map((v) => [v.version, v.value, v.labels])).toEqual([
      [1, OLD_KEY, []],
      [2, NEW_KEY, ['current']],
    ]);
    real.destroy();
  });

  it('reports a conflict when another writer adds a version between the read and the write', async () => {
    const name = await createParameter(OLD_KEY);
    const real = new SSM({ region, endpoint: moto.endpoint, credentials: writer });
    const theirs = 'sk-or-v1-' + 'd'.repeat(64);
    let interfere = true;
    const racing: ParameterStoreApi = {
      getParameter: async (input) => {
        const out = await real.getParameter(input);
        if (interfere) {
          interfere = false;
          await adminClient.send(
            new PutParameterCommand({ Name: name, Value: theirs, Type: 'SecureString', Overwrite: true }),
          );
        }
        return out;
      },
      labelParameterVersion: (input) => real.labelParameterVersion(input),
      putParameter: (input) => real.putParameter(input),
    };
    const error = await storeFor(name, racing)
      .write(NEW_KEY, token())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationConflictError);
    expect((error as Error).message).toMatch(/another writer changed the parameter/);
    // Both values stay in the history.
    expect((await history(name)).map((v) => v.value)).toEqual([OLD_KEY, theirs, NEW_KEY]);
    real.destroy();
  });

  it('names the parameter and the permissions to grant when IAM refuses the write, without retrying', async () => {
    const name = await createParameter(OLD_KEY);
    const store = new AwsSsmParameterStore(config(name), { clientConfig: { credentials: reader } });
    expect((await store.read())?.value).toBe(OLD_KEY);
    const error = await store.write(NEW_KEY, token()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as DestinationAuthError).retryable).toBe(false);
    expect((error as Error).message).toContain(`aws-ssm-parameter:${name}`);
    expect((error as Error).message).toContain(`ssm:PutParameter`);
    expect((error as Error).message).toContain(`on parameter ${name}`);
    expect((error as Error).message).not.toContain(NEW_KEY);
    expect((await history(name)).map((v) => v.value)).toEqual([OLD_KEY]);
  });

  it('refuses a plain String parameter instead of storing the key unencrypted', async () => {
    const name = await createParameter(OLD_KEY, 'String');
    const error = await storeFor(name)
      .write(NEW_KEY, token())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as Error).message).toMatch(/not a SecureString/);
    expect((await history(name)).map((v) => v.value)).toEqual([OLD_KEY]);
  });

  it('refuses unknown credentials as a non-retryable auth error', async () => {
    const store = new AwsSsmParameterStore(config('/apps/x/KEY'), {
      clientConfig: { credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG1', secretAccessKey: 'wrong' } },
    });
    const error = await store.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
  });
});

describe('the worker policy and Parameter Store destinations', () => {
  it('refuses a parameter outside the listed paths, and an endpoint it does not list, naming both', () => {
    const rotation = rotationSchema.parse({
      name: 'ssm-policy',
      openrouter: { key: { name: 'ssm-policy' } },
      schedule: { intervalDays: 7 },
      destinations: [
        { type: 'aws-ssm-parameter', name: '/apps2/checkout/KEY', endpoint: 'http://127.0.0.1:4566' },
        { type: 'aws-ssm-parameter', name: '/apps/checkout/KEY' },
      ],
    });
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      ssmParameters: ['/apps/*'],
    });
    expect(checkRotationAgainstPolicy(rotation, policy)).toEqual([
      {
        path: 'destinations[0].endpoint',
        message:
          "http://127.0.0.1:4566/ is not in the worker policy's destinations.awsEndpoints (allowed: none)",
      },
      {
        path: 'destinations[0].name',
        message:
          "Parameter Store parameter /apps2/checkout/KEY is not in the worker policy's destinations.ssmParameters (allowed: /apps/*)",
      },
    ]);
  });
});
