/**
 * AWS Secrets Manager destination, following AWS's own rotation model:
 * put the new value as `AWSPENDING` with a stable ClientRequestToken (so a retried activity repeats
 * the same version), read it back, then move `AWSCURRENT` to it (the old version becomes
 * `AWSPREVIOUS`, the rollback target). Moving `AWSCURRENT` names the version it leaves, which acts
 * as a check-and-set: if someone else moved it meanwhile, AWS refuses and we report a conflict.
 *
 * Reads always pass `VersionStage` (moto, and older emulators, may otherwise return a stale version).
 * The secret itself must exist: the rotator adds versions, it never creates secrets (that needs
 * other IAM rights and KMS choices), so a missing secret is an error even for `read()`.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type * as sm from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { DestinationConflictError, DestinationError } from '../../errors/rotator-errors.js';
import { lazyAwsClient, type AwsClientDeps } from '../aws-client.js';
import { awsDestinationError, awsErrorMessage, awsErrorName } from '../aws-errors.js';
import type { SecretStore, StoredSecret, WriteOptions, WriteResult } from '../secret-store.js';
import { awsDestinationLabel } from './label.js';
import type { AwsDestinationConfig } from './schema.js';

/** The three Secrets Manager calls the store makes; the SDK's `SecretsManager` class fits, and so does a test stub. */
export interface SecretsManagerApi {
  getSecretValue(input: sm.GetSecretValueCommandInput): Promise<sm.GetSecretValueCommandOutput>;
  putSecretValue(input: sm.PutSecretValueCommandInput): Promise<sm.PutSecretValueCommandOutput>;
  updateSecretVersionStage(
    input: sm.UpdateSecretVersionStageCommandInput,
  ): Promise<sm.UpdateSecretVersionStageCommandOutput>;
}

export type AwsStoreDeps = AwsClientDeps<SecretsManagerApi, sm.SecretsManagerClientConfig>;

const CURRENT = 'AWSCURRENT';
const PENDING = 'AWSPENDING';
const PREVIOUS = 'AWSPREVIOUS';
const CLIENT_REQUEST_TOKEN = /^[A-Za-z0-9-]{32,64}$/;
const jsonObject = z.record(z.string(), z.unknown());

/** One version of the secret, as read at a stage. */
interface SecretVersion {
  versionId: string;
  stages: string[];
  /** The whole SecretString (JSON text when `jsonField` is set). */
  secretString: string;
  /** The key: the whole string, or the JSON field (undefined when the field is absent). */
  value: string | undefined;
}

/** A ClientRequestToken AWS accepts, derived stably from the caller's idempotency token. */
export function clientRequestToken(idempotencyToken: string): string {
  if (CLIENT_REQUEST_TOKEN.test(idempotencyToken)) return idempotencyToken;
  return createHash('sha256').update(idempotencyToken).digest('hex');
}

export class AwsSecretsManagerStore implements SecretStore {
  readonly description: string;
  private readonly secretsManager: () => Promise<SecretsManagerApi>;

  constructor(
    private readonly config: AwsDestinationConfig,
    deps: AwsStoreDeps = {},
  ) {
    this.description = awsDestinationLabel(config);
    this.secretsManager = lazyAwsClient(config, deps, (options) =>
      import('@aws-sdk/client-secrets-manager').then(({ SecretsManager }) => new SecretsManager(options)),
    );
  }

  async read(): Promise<StoredSecret | null> {
    const current = await this.readStage(CURRENT);
    // An empty value counts as no key at all.
    if (!current || !current.value) return null;
    return { value: current.value, version: current.versionId };
  }

  async write(value: string, options: WriteOptions): Promise<WriteResult> {
    if (value === '') throw new DestinationError(this.description, 'refusing to write an empty value');
    const current = await this.readStage(CURRENT);
    if (current?.value === value) return this.alreadyCurrent(current);
    return this.putAndPromote(value, current, options);
  }

  async restore(previousValue: string, options: WriteOptions): Promise<WriteResult> {
    if (previousValue === '')
      throw new DestinationError(this.description, 'refusing to restore an empty value');
    const current = await this.readStage(CURRENT);
    if (current?.value === previousValue) return this.alreadyCurrent(current);
    // Prefer moving AWSCURRENT back to the version that held the old value: no new version, and
    // exactly what the secret looked like before (checked in full, so other JSON fields changed
    // since are not silently reverted).
    const previous = await this.readStage(PREVIOUS);
    if (current && previous && this.sameSecret(previous.secretString, this.compose(previousValue, current))) {
      await this.moveCurrent(previous.versionId, current.versionId);
      return { version: previous.versionId };
    }
    return this.putAndPromote(previousValue, current, options);
  }

  /** The secret already holds the value (a retry after a lost reply): tidy up and succeed. */
  private async alreadyCurrent(current: SecretVersion): Promise<WriteResult> {
    if (current.stages.includes(PENDING)) await this.clearPending(current.versionId);
    return { version: current.versionId };
  }

  private async putAndPromote(
    value: string,
    current: SecretVersion | null,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const put = await this.call('store the new version', async () =>
      (await this.secretsManager()).putSecretValue({
        SecretId: this.config.secretId,
        SecretString: this.compose(value, current),
        VersionStages: [PENDING],
        ClientRequestToken: clientRequestToken(options.idempotencyToken),
      }),
    );
    const versionId = put.VersionId;
    if (!versionId)
      throw new DestinationError(this.description, 'PutSecretValue returned no VersionId', {
        retryable: true,
      });

    const pending = await this.readStage(PENDING);
    if (pending?.versionId !== versionId || pending.value !== value) {
      throw new DestinationConflictError(
        this.description,
        'the AWSPENDING version does not hold the value just written: another writer or a rotation is changing this secret. ' +
          'Let it finish, then rotate again.',
      );
    }
    await this.moveCurrent(versionId, current?.versionId);
    await this.clearPending(versionId);
    return { version: versionId };
  }

  /** Moves AWSCURRENT to `versionId`; AWS refuses when `fromVersionId` no longer holds it (a concurrent change). */
  private async moveCurrent(versionId: string, fromVersionId: string | undefined): Promise<void> {
    if (versionId === fromVersionId) return;
    await this.unlessAlreadyDone(
      () =>
        this.call('move AWSCURRENT to the new version', async () =>
          (await this.secretsManager()).updateSecretVersionStage({
            SecretId: this.config.secretId,
            VersionStage: CURRENT,
            MoveToVersionId: versionId,
            ...(fromVersionId ? { RemoveFromVersionId: fromVersionId } : {}),
          }),
        ),
      async () => (await this.readStage(CURRENT))?.versionId === versionId,
    );
  }

  /** A stray AWSPENDING label would make AWS-managed rotation think a rotation is unfinished. */
  private async clearPending(versionId: string): Promise<void> {
    await this.unlessAlreadyDone(
      () =>
        this.call('remove the AWSPENDING label', async () =>
          (await this.secretsManager()).updateSecretVersionStage({
            SecretId: this.config.secretId,
            VersionStage: PENDING,
            RemoveFromVersionId: versionId,
          }),
        ),
      async () => (await this.readStage(PENDING))?.versionId !== versionId,
    );
  }

  /**
   * Runs a label move. The SDK re-sends a call whose answer was lost, and AWS refuses the re-sent
   * move when the first one was applied: that refusal is no conflict if `done()` finds the labels
   * where we wanted them.
   */
  private async unlessAlreadyDone(move: () => Promise<unknown>, done: () => Promise<boolean>): Promise<void> {
    try {
      await move();
    } catch (err) {
      if (!(err instanceof DestinationConflictError) || !(await done())) throw err;
    }
  }

  /** The version at `stage`, or null when no version carries it. */
  private async readStage(stage: string): Promise<SecretVersion | null> {
    let out: sm.GetSecretValueCommandOutput;
    try {
      out = await (
        await this.secretsManager()
      ).getSecretValue({ SecretId: this.config.secretId, VersionStage: stage });
    } catch (err) {
      // No version carries this stage (no AWSPREVIOUS yet, a secret created without a value). AWS
      // says "secret value for staging label"; moto says "can't find the specified secret" for
      // both that and a missing secret, so that is only trusted for the stages read after AWSCURRENT.
      if (
        awsErrorName(err) === 'ResourceNotFoundException' &&
        (stage !== CURRENT || /secret value|staging label/i.test(awsErrorMessage(err)))
      ) {
        return null;
      }
      throw this.mapError(err, `read the ${stage} version`);
    }
    if (out.SecretString === undefined) {
      throw new DestinationError(
        this.description,
        'the secret holds binary data (SecretBinary); the key must be stored as a string',
      );
    }
    if (!out.VersionId)
      throw new DestinationError(this.description, 'GetSecretValue returned no VersionId', {
        retryable: true,
      });
    return {
      versionId: out.VersionId,
      stages: out.VersionStages ?? [stage],
      secretString: out.SecretString,
      value: this.extract(out.SecretString),
    };
  }

  private extract(secretString: string): string | undefined {
    const field = this.config.jsonField;
    if (!field) return secretString;
    const value = this.parseObject(secretString)[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw new DestinationError(
        this.description,
        `JSON field "${field}" holds a ${typeof value}, expected a string`,
      );
    }
    return value;
  }

  /** The SecretString to store: the value itself, or the current JSON object with the field set. */
  private compose(value: string, current: SecretVersion | null): string {
    const field = this.config.jsonField;
    if (!field) return value;
    const base = current ? this.parseObject(current.secretString) : {};
    return JSON.stringify({ ...base, [field]: value });
  }

  private sameSecret(a: string, b: string): boolean {
    if (!this.config.jsonField) return a === b;
    return isDeepStrictEqual(this.parseObject(a), this.parseObject(b));
  }

  private parseObject(secretString: string): Record<string, unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      // Do not quote the parser's message: it contains part of the secret.
      throw new DestinationError(
        this.description,
        `jsonField "${this.config.jsonField}" is set but the secret is not JSON; remove jsonField or store a JSON object`,
      );
    }
    const result = jsonObject.safeParse(parsed);
    if (!result.success || Array.isArray(parsed)) {
      throw new DestinationError(this.description, 'jsonField is set but the secret is not a JSON object');
    }
    return result.data;
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err, action);
    }
  }

  private mapError(err: unknown, action: string): DestinationError {
    return awsDestinationError(
      err,
      {
        description: this.description,
        action,
        service: 'AWS Secrets Manager',
        permissions:
          'secretsmanager:GetSecretValue, PutSecretValue and UpdateSecretVersionStage on this secret',
      },
      (name, message, detail, options) => {
        switch (name) {
          case 'ResourceNotFoundException':
            return new DestinationError(
              this.description,
              `the secret does not exist (${detail}); create the secret first (the rotator only adds versions to it) ` +
                'and check secretId and region',
              options,
            );
          case 'ResourceExistsException':
            return new DestinationConflictError(
              this.description,
              `a version with this ClientRequestToken already exists with different content (${detail}); ` +
                'the secret changed between attempts. Check it, then rotate again.',
              options,
            );
          case 'InvalidParameterException':
            if (/version|stage|label/i.test(message)) {
              return new DestinationConflictError(
                this.description,
                `AWSCURRENT moved while we were writing (${detail}); another writer changed the secret. Check it, then rotate again.`,
                options,
              );
            }
        }
        return undefined;
      },
    );
  }
}
