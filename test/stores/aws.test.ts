import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
  type GetSecretValueCommandInput,
  type GetSecretValueCommandOutput,
  type PutSecretValueCommandInput,
  type PutSecretValueCommandOutput,
  type UpdateSecretVersionStageCommandInput,
  type UpdateSecretVersionStageCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsDestinationConfig } from '../../src/stores/aws-secrets-manager/schema.js';
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../src/errors/rotator-errors.js';
import {
  AwsSecretsManagerStore,
  clientRequestToken,
  type SecretsManagerApi,
} from '../../src/stores/aws-secrets-manager/index.js';
import { startMotoServer, type MotoServer } from './moto-server.js';
import { findFreePort } from '../support/net.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
let tokenCounter = 0;
const token = () => ({
  idempotencyToken: `rotation-test-${String(++tokenCounter).padStart(4, '0')}-store-0000000`,
});

function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });
}

describe('AWS Secrets Manager store against moto', () => {
  let moto: MotoServer;
  let admin: SecretsManagerClient;
  let secretCounter = 0;

  beforeAll(async () => {
    moto = await startMotoServer();
    admin = new SecretsManagerClient({ region, endpoint: moto.endpoint, credentials });
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
  });

  async function createSecret(secretString: string): Promise<string> {
    const name = `apps/checkout-${++secretCounter}`;
    await admin.send(new CreateSecretCommand({ Name: name, SecretString: secretString }));
    return name;
  }

  function store(secretId: string, extra: Partial<AwsDestinationConfig> = {}): AwsSecretsManagerStore {
    return new AwsSecretsManagerStore(
      { type: 'aws-secrets-manager', secretId, region, endpoint: moto.endpoint, ...extra },
      { clientConfig: { credentials } },
    );
  }

  async function versionCount(secretId: string): Promise<number> {
    const out = await admin.send(
      new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
    );
    return out.Versions?.length ?? 0;
  }

  it('writes a new AWSCURRENT version, reads it back and restores the old one', async () => {
    const secretId = await createSecret(OLD_KEY);
    const s = store(secretId);
    const before = await s.read();
    expect(before?.value).toBe(OLD_KEY);

    const written = await s.write(NEW_KEY, token());
    expect(await s.read()).toEqual({ value: NEW_KEY, version: written.version });

    const restored = await s.restore(OLD_KEY, token());
    expect(await s.read()).toEqual({ value: OLD_KEY, version: before?.version });
    // Restoring moved AWSCURRENT back to the old version instead of adding a third one.
    expect(restored.version).toBe(before?.version);
    expect(await versionCount(secretId)).toBe(2);
  });

  it('keeps the other fields of a JSON secret', async () => {
    const secretId = await createSecret(
      JSON.stringify({ DATABASE_URL: 'postgres://db', OPENROUTER_API_KEY: OLD_KEY }),
    );
    const s = store(secretId, { jsonField: 'OPENROUTER_API_KEY' });

    await s.write(NEW_KEY, token());

    const current = await admin.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }),
    );
    expect(JSON.parse(current.SecretString ?? '')).toEqual({
      DATABASE_URL: 'postgres://db',
      OPENROUTER_API_KEY: NEW_KEY,
    });
    expect((await s.read())?.value).toBe(NEW_KEY);
  });

  it('repeats a retried write (same token) without another version', async () => {
    const secretId = await createSecret(OLD_KEY);
    const s = store(secretId);
    const sameToken = token();

    const first = await s.write(NEW_KEY, sameToken);
    const second = await s.write(NEW_KEY, sameToken);

    expect(second.version).toBe(first.version);
    expect(first.version).toBe(clientRequestToken(sameToken.idempotencyToken));
    expect(await versionCount(secretId)).toBe(2);
  });

  it('asks the user to create a missing secret, without retrying', async () => {
    const error = await store('apps/does-not-exist')
      .write(NEW_KEY, token())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/create the secret first/);
  });

  it('reports an unreachable endpoint as retryable', async () => {
    const port = await findFreePort();
    const s = new AwsSecretsManagerStore(
      { type: 'aws-secrets-manager', secretId: 'x', region, endpoint: `http://127.0.0.1:${port}` },
      { clientConfig: { credentials, maxAttempts: 1 } },
    );
    const error = await s.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(true);
  });

  describe('with credential checks on', () => {
    let strictMoto: MotoServer;
    beforeAll(async () => {
      // moto checks credentials against its IAM once this many unauthenticated calls are used up.
      strictMoto = await startMotoServer({ env: { INITIAL_NO_AUTH_ACTION_COUNT: '0' } });
    });
    afterAll(async () => {
      await strictMoto?.stop();
    });

    it('reports unknown credentials as a non-retryable auth error that says what to check', async () => {
      const s = new AwsSecretsManagerStore(
        { type: 'aws-secrets-manager', secretId: 'apps/checkout', region, endpoint: strictMoto.endpoint },
        { clientConfig: { credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG1', secretAccessKey: 'wrong' } } },
      );
      const error = await s.read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DestinationAuthError);
      expect((error as DestinationAuthError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/credentials/);
    });
  });
});

/**
 * An in-memory Secrets Manager with the real service's semantics where moto deviates: a reused
 * ClientRequestToken with different content is refused, labels move strictly, and every read
 * is recorded so the test can check that a VersionStage was always passed.
 */
class StrictSecretsManager implements SecretsManagerApi {
  readonly versions = new Map<string, { secretString: string; stages: Set<string> }>();
  readonly reads: GetSecretValueCommandInput[] = [];
  private next = 0;
  /** Runs before each call; tests use it to inject failures or concurrent changes. */
  beforeCall: (operation: string) => void = () => undefined;

  constructor(initial: string) {
    this.versions.set('v-initial', { secretString: initial, stages: new Set(['AWSCURRENT']) });
  }

  private holder(stage: string): string | undefined {
    for (const [id, v] of this.versions) if (v.stages.has(stage)) return id;
    return undefined;
  }

  async getSecretValue(input: GetSecretValueCommandInput): Promise<GetSecretValueCommandOutput> {
    this.beforeCall('getSecretValue');
    this.reads.push(input);
    const id = input.VersionId ?? this.holder(input.VersionStage ?? 'AWSCURRENT');
    const version = id && this.versions.get(id);
    if (!id || !version) {
      throw awsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${input.VersionStage}`,
      );
    }
    return {
      $metadata: {},
      VersionId: id,
      SecretString: version.secretString,
      VersionStages: [...version.stages],
    };
  }

  async putSecretValue(input: PutSecretValueCommandInput): Promise<PutSecretValueCommandOutput> {
    this.beforeCall('putSecretValue');
    const id = input.ClientRequestToken ?? `v-${++this.next}`;
    const existing = this.versions.get(id);
    if (existing) {
      if (existing.secretString !== input.SecretString) {
        throw awsError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return { $metadata: {}, VersionId: id, VersionStages: [...existing.stages] };
    }
    const stages = input.VersionStages ?? ['AWSCURRENT'];
    for (const stage of stages) for (const v of this.versions.values()) v.stages.delete(stage);
    this.versions.set(id, { secretString: input.SecretString ?? '', stages: new Set(stages) });
    return { $metadata: {}, VersionId: id, VersionStages: stages };
  }

  async updateSecretVersionStage(
    input: UpdateSecretVersionStageCommandInput,
  ): Promise<UpdateSecretVersionStageCommandOutput> {
    this.beforeCall('updateSecretVersionStage');
    const stage = input.VersionStage ?? '';
    const holder = this.holder(stage);
    if (holder && holder !== input.MoveToVersionId && holder !== input.RemoveFromVersionId) {
      throw awsError(
        'InvalidParameterException',
        `The parameter RemoveFromVersionId doesn't match. Staging label ${stage} is currently attached to version ${holder}`,
      );
    }
    if (input.RemoveFromVersionId) this.versions.get(input.RemoveFromVersionId)?.stages.delete(stage);
    if (input.MoveToVersionId) {
      if (stage === 'AWSCURRENT' && holder && holder !== input.MoveToVersionId) {
        for (const v of this.versions.values()) v.stages.delete('AWSPREVIOUS');
        this.versions.get(holder)?.stages.add('AWSPREVIOUS');
      }
      this.versions.get(input.MoveToVersionId)?.stages.add(stage);
    }
    return { $metadata: {} };
  }

  current(): string | undefined {
    const id = this.holder('AWSCURRENT');
    return id ? this.versions.get(id)?.secretString : undefined;
  }
}

describe('AWS Secrets Manager store with a strict stub (where moto deviates from AWS)', () => {
  const config: AwsDestinationConfig = { type: 'aws-secrets-manager', secretId: 'apps/checkout' };
  const storeWith = (client: SecretsManagerApi, extra: Partial<AwsDestinationConfig> = {}) =>
    new AwsSecretsManagerStore({ ...config, ...extra }, { client });

  it('always passes a VersionStage when reading, and leaves no AWSPENDING label behind', async () => {
    const fake = new StrictSecretsManager(OLD_KEY);
    const s = storeWith(fake);
    await s.read();
    await s.write(NEW_KEY, token());
    await s.restore(OLD_KEY, token());

    expect(fake.reads.length).toBeGreaterThan(0);
    expect(fake.reads.every((r) => typeof r.VersionStage === 'string')).toBe(true);
    expect([...fake.versions.values()].some((v) => v.stages.has('AWSPENDING'))).toBe(false);
    expect(fake.current()).toBe(OLD_KEY);
  });

  it('finishes a write whose reply was lost after the stage move', async () => {
    const fake = new StrictSecretsManager(OLD_KEY);
    const s = storeWith(fake);
    const sameToken = token();
    let failOnce = true;
    fake.beforeCall = (op) => {
      // The second stage update (removing AWSPENDING) "times out" the first time.
      if (op === 'updateSecretVersionStage' && failOnce && fake.current() === NEW_KEY) {
        failOnce = false;
        throw awsError('InternalServiceError', 'try again', 500);
      }
    };
    await expect(s.write(NEW_KEY, sameToken)).rejects.toMatchObject({ retryable: true });

    const retry = await s.write(NEW_KEY, sameToken);
    expect(retry.version).toBe(clientRequestToken(sameToken.idempotencyToken));
    expect(fake.versions.size).toBe(2);
    expect([...fake.versions.values()].some((v) => v.stages.has('AWSPENDING'))).toBe(false);
  });

  it('reports a reused token with different content as a conflict (AWS refuses, moto accepts)', async () => {
    const fake = new StrictSecretsManager(OLD_KEY);
    const s = storeWith(fake);
    const sameToken = token();
    // An earlier attempt stored another value under this token but never made it current.
    await fake.putSecretValue({
      SecretId: 'apps/checkout',
      SecretString: 'sk-or-v1-' + 'c'.repeat(64),
      VersionStages: ['AWSPENDING'],
      ClientRequestToken: clientRequestToken(sameToken.idempotencyToken),
    });

    const error = await s.write(NEW_KEY, sameToken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationConflictError);
    expect((error as DestinationConflictError).retryable).toBe(false);
    expect(fake.current()).toBe(OLD_KEY);
  });

  it('reports a conflict when someone else moves AWSCURRENT during the write, and keeps their value', async () => {
    const fake = new StrictSecretsManager(OLD_KEY);
    const s = storeWith(fake);
    const theirs = 'sk-or-v1-' + 'd'.repeat(64);
    fake.beforeCall = (op) => {
      if (op === 'putSecretValue' && fake.current() === OLD_KEY) {
        fake.beforeCall = () => undefined;
        void fake.putSecretValue({
          SecretId: 'apps/checkout',
          SecretString: theirs,
          VersionStages: ['AWSCURRENT'],
          ClientRequestToken: 'someone-else-0000000000000000000000',
        });
      }
    };

    const error = await s.write(NEW_KEY, token()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationConflictError);
    expect(fake.current()).toBe(theirs);
  });

  it('restores by writing a new version when AWSPREVIOUS no longer holds the old value', async () => {
    const fake = new StrictSecretsManager(JSON.stringify({ OPENROUTER_API_KEY: OLD_KEY, OTHER: 'x' }));
    const s = storeWith(fake, { jsonField: 'OPENROUTER_API_KEY' });
    await s.write(NEW_KEY, token());
    // Another field changed after our write: moving back to AWSPREVIOUS would undo that change.
    await fake.putSecretValue({
      SecretId: 'apps/checkout',
      SecretString: JSON.stringify({ OPENROUTER_API_KEY: NEW_KEY, OTHER: 'y' }),
      ClientRequestToken: 'other-field-change-00000000000000000',
    });

    await s.restore(OLD_KEY, token());
    expect(JSON.parse(fake.current() ?? '')).toEqual({ OPENROUTER_API_KEY: OLD_KEY, OTHER: 'y' });
  });

  it('classifies AWS errors: denied is non-retryable auth, throttling is retryable', async () => {
    const denied = new StrictSecretsManager(OLD_KEY);
    denied.beforeCall = () => {
      throw awsError(
        'AccessDeniedException',
        'User is not authorized to perform secretsmanager:GetSecretValue',
      );
    };
    const deniedError = await storeWith(denied)
      .read()
      .catch((e: unknown) => e);
    expect(deniedError).toBeInstanceOf(DestinationAuthError);
    expect((deniedError as DestinationAuthError).retryable).toBe(false);
    expect((deniedError as Error).message).toMatch(/IAM permissions/);

    const throttled = new StrictSecretsManager(OLD_KEY);
    throttled.beforeCall = () => {
      throw awsError('ThrottlingException', 'Rate exceeded');
    };
    const throttledError = await storeWith(throttled)
      .read()
      .catch((e: unknown) => e);
    expect(throttledError).toBeInstanceOf(DestinationError);
    expect((throttledError as DestinationError).retryable).toBe(true);
  });

  it('reports a missing region as a non-retryable configuration problem', async () => {
    const fake = new StrictSecretsManager(OLD_KEY);
    fake.beforeCall = () => {
      throw new Error('Region is missing');
    };
    const error = await storeWith(fake)
      .read()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/set `region`/);
  });

  it('never puts the key in an error message', async () => {
    const fake = new StrictSecretsManager(`{"OPENROUTER_API_KEY": "${OLD_KEY}"`);
    const error = await storeWith(fake, { jsonField: 'OPENROUTER_API_KEY' })
      .read()
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not JSON/);
    expect((error as Error).message).not.toContain(OLD_KEY);
  });
});
