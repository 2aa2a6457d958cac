/**
 * AWS Systems Manager Parameter Store destination: the key is a `SecureString` parameter encrypted
 * with the configured KMS key. Each write is a new version (`Overwrite`), and the configured label
 * (`current`) moves to it; the version before stays in the parameter's history (Parameter Store
 * keeps 100), the rollback target. A rollback writes the old key again as a new version, since
 * only the newest version is what `GetParameter NAME` hands out, and moves the label back onto it.
 *
 * Parameter Store has no conditional write, so its version number is the concurrency token: a
 * write must get the version after the one read just before it, else another writer got in
 * between and the store reports a conflict. No idempotency token either: a retry after a lost
 * reply finds its value already current and adds nothing.
 */
import type {
  GetParameterCommandInput,
  GetParameterCommandOutput,
  LabelParameterVersionCommandInput,
  LabelParameterVersionCommandOutput,
  PutParameterCommandInput,
  PutParameterCommandOutput,
  SSMClientConfig,
} from '@aws-sdk/client-ssm';
import { DestinationConflictError, DestinationError } from '../../errors/rotator-errors.js';
import { labelOfKey } from '../../errors/redact.js';
import { lazyAwsClient, type AwsClientDeps } from '../aws-client.js';
import { awsDestinationError, awsErrorName } from '../aws-errors.js';
import { MANAGED_BY, MANAGED_BY_TAG, ROTATION_TAG } from '../managed-marks.js';
import type { SecretStore, StoredSecret, WriteOptions, WriteResult } from '../secret-store.js';
import { awsSsmParameterDestinationLabel } from './label.js';
import type { AwsSsmParameterDestinationConfig } from './schema.js';

/** The three Parameter Store calls the store makes; the SDK's `SSM` class fits, and so does a test stub. */
export interface ParameterStoreApi {
  getParameter(input: GetParameterCommandInput): Promise<GetParameterCommandOutput>;
  putParameter(input: PutParameterCommandInput): Promise<PutParameterCommandOutput>;
  labelParameterVersion(
    input: LabelParameterVersionCommandInput,
  ): Promise<LabelParameterVersionCommandOutput>;
}

export type SsmStoreDeps = AwsClientDeps<ParameterStoreApi, SSMClientConfig>;

interface ParameterVersion {
  value: string;
  version: number;
}

export class AwsSsmParameterStore implements SecretStore {
  readonly description: string;
  private readonly ssm: () => Promise<ParameterStoreApi>;

  constructor(
    private readonly config: AwsSsmParameterDestinationConfig,
    deps: SsmStoreDeps = {},
  ) {
    this.description = awsSsmParameterDestinationLabel(config);
    this.ssm = lazyAwsClient(config, deps, (options) =>
      import('@aws-sdk/client-ssm').then(({ SSM }) => new SSM(options)),
    );
  }

  async read(): Promise<StoredSecret | null> {
    const current = await this.readVersion(this.config.name);
    if (!current || current.value === '') return null;
    return { value: current.value, version: String(current.version) };
  }

  async write(value: string, options: WriteOptions): Promise<WriteResult> {
    if (value === '') throw new DestinationError(this.description, 'refusing to write an empty value');
    return this.makeCurrent(value, options, 'store');
  }

  /** The old key goes back as the newest version (what `GetParameter NAME` hands out), labelled again. */
  async restore(previousValue: string, options: WriteOptions): Promise<WriteResult> {
    if (previousValue === '')
      throw new DestinationError(this.description, 'refusing to restore an empty value');
    return this.makeCurrent(previousValue, options, 'restore');
  }

  private async makeCurrent(
    value: string,
    options: WriteOptions,
    purpose: 'store' | 'restore',
  ): Promise<WriteResult> {
    const current = await this.readVersion(this.config.name);
    if (current?.value === value) {
      // Already there: a retry after a lost reply, or a rollback of a write that never happened.
      // Only the label may be elsewhere (a write whose reply was lost before labelling); a rollback
      // leaves a parameter the rotation never labelled as it is.
      const labelled = await this.readVersion(`${this.config.name}:${this.config.label}`);
      if (labelled?.version !== current.version && (purpose === 'store' || labelled !== null))
        await this.label(current.version);
      return { version: String(current.version) };
    }
    const put = await this.call(current ? 'store the new version' : 'create the parameter', async () =>
      (await this.ssm()).putParameter({
        Name: this.config.name,
        Value: value,
        Type: 'SecureString',
        KeyId: this.config.kmsKeyId,
        // Tags can only be given when the parameter is created; Overwrite only when it exists, so
        // a parameter someone else creates meanwhile is refused, not overwritten.
        ...(current
          ? { Overwrite: true }
          : {
              Overwrite: false,
              Tags: [
                { Key: MANAGED_BY_TAG, Value: MANAGED_BY },
                ...(options.rotation ? [{ Key: ROTATION_TAG, Value: options.rotation }] : []),
              ],
            }),
      }),
    );
    const version = put.Version;
    if (version === undefined)
      throw new DestinationError(this.description, 'PutParameter returned no Version', { retryable: true });
    if (current && version !== current.version + 1) {
      throw new DestinationConflictError(
        this.description,
        `another writer changed the parameter while the key was written (read version ${current.version}, ` +
          `wrote version ${version}); the parameter's history holds both. Check it, then rotate again.`,
      );
    }
    await this.label(version);
    // Read back through the label: what a consumer reading NAME:LABEL gets.
    const labelled = await this.readVersion(`${this.config.name}:${this.config.label}`);
    if (labelled?.version !== version || labelled.value !== value) {
      throw new DestinationConflictError(
        this.description,
        `label ${this.config.label} does not point at the version just written (${labelOfKey(value)}, version ${version}); ` +
          'another writer is changing this parameter. Let it finish, then rotate again.',
      );
    }
    return { version: String(version) };
  }

  /** Moves the label to `version` (Parameter Store takes it off the version that had it). */
  private async label(version: number): Promise<void> {
    const out = await this.call(`move label ${this.config.label} to version ${version}`, async () =>
      (await this.ssm()).labelParameterVersion({
        Name: this.config.name,
        ParameterVersion: version,
        Labels: [this.config.label],
      }),
    );
    if (out.InvalidLabels && out.InvalidLabels.length > 0) {
      throw new DestinationError(
        this.description,
        `Parameter Store refused label ${out.InvalidLabels.join(', ')} for version ${version}; ` +
          'choose a label of letters, digits, . - _ that does not start with a digit, aws or ssm',
      );
    }
  }

  /** The version `selector` (`NAME` or `NAME:LABEL`) names, or null when there is none. */
  private async readVersion(selector: string): Promise<ParameterVersion | null> {
    let out: GetParameterCommandOutput;
    try {
      out = await (await this.ssm()).getParameter({ Name: selector, WithDecryption: true });
    } catch (err) {
      if (awsErrorName(err) === 'ParameterNotFound') return null;
      if (awsErrorName(err) === 'ParameterVersionNotFound' && selector !== this.config.name) return null;
      throw this.mapError(err, 'read the parameter');
    }
    const parameter = out.Parameter;
    if (!parameter || parameter.Version === undefined)
      throw new DestinationError(this.description, 'GetParameter returned no parameter version', {
        retryable: true,
      });
    if (parameter.Type !== 'SecureString') {
      throw new DestinationError(
        this.description,
        `the parameter is a ${parameter.Type ?? 'parameter of unknown type'}, not a SecureString; key-rotator keeps keys ` +
          'only encrypted: delete it and let the next rotation create it, or recreate it as a SecureString',
      );
    }
    return { value: parameter.Value ?? '', version: parameter.Version };
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.mapError(err, action);
    }
  }

  private mapError(err: unknown, action: string): DestinationError {
    const { name, kmsKeyId } = this.config;
    return awsDestinationError(
      err,
      {
        description: this.description,
        action,
        service: 'AWS Systems Manager Parameter Store',
        permissions:
          `ssm:GetParameter, ssm:PutParameter, ssm:LabelParameterVersion and ssm:AddTagsToResource on parameter ${name}, ` +
          `kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on the key ${kmsKeyId}`,
      },
      (errorName, _message, detail, options) => {
        switch (errorName) {
          case 'ParameterAlreadyExists':
            return new DestinationConflictError(
              this.description,
              `someone else created the parameter while the key was written (${detail}). Check it, then rotate again.`,
              options,
            );
          case 'InvalidKeyId':
          case 'NotFoundException':
          case 'KMSInvalidStateException':
          case 'DisabledException':
            return new DestinationError(
              this.description,
              `the KMS key ${kmsKeyId} cannot encrypt the parameter (${detail}); check kmsKeyId and the key's state`,
              options,
            );
          case 'ParameterMaxVersionLimitExceeded':
            return new DestinationError(
              this.description,
              `the parameter holds 100 versions and the oldest carries a label, so Parameter Store keeps it (${detail}); ` +
                'remove the labels from old versions (aws ssm unlabel-parameter-version), then rotate again',
              options,
            );
          case 'TooManyUpdates':
            return new DestinationError(this.description, `could not ${action}, will retry (${detail})`, {
              retryable: true,
              cause: options.cause,
            });
          case 'ParameterPatternMismatchException':
          case 'ValidationException':
            return new DestinationError(
              this.description,
              `Parameter Store refused the value (${detail})`,
              options,
            );
        }
        return undefined;
      },
    );
  }
}
