/**
 * Google Cloud Secret Manager destination: each write adds a secret version; consumers read
 * `latest` or, when `versionAlias` is set, that alias, which moves to the version just added. The
 * version before stays enabled in the secret's history: the rollback target. A rollback adds the
 * old key again as the newest version (what `latest` hands out) and moves the alias onto it.
 *
 * Concurrency: the version number (a write must get the one after the version read just before
 * it, else another writer got in between) and the secret's etag, which Secret Manager checks when
 * the alias moves. Secret Manager has no idempotency token: a retry after a lost reply finds its
 * value already the newest version and adds nothing.
 */
import type { protos, SecretManagerServiceClient } from '@google-cloud/secret-manager';
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../errors/rotator-errors.js';
import { labelOfKey } from '../../errors/redact.js';
import { resolveSecretRef, type SecretRefDeps } from '../../fields/secret-ref.js';
import { MANAGED_BY, MANAGED_BY_TAG, ROTATION_TAG } from '../managed-marks.js';
import type { StoredSecret, WriteOptions, WriteResult } from '../secret-store.js';
import { SetValueStore, type SetPurpose } from '../set-value-store.js';
import { gcpDestinationError, grpcCode, GrpcCode, type SecretManagerCall } from './errors.js';
import { gcpSecretManagerDestinationLabel } from './label.js';
import { gcpSecretName, type GcpSecretManagerDestinationConfig } from './schema.js';

type V1 = typeof protos.google.cloud.secretmanager.v1;
type Secret = InstanceType<V1['Secret']>;
type SecretVersion = InstanceType<V1['SecretVersion']>;
type AccessResponse = InstanceType<V1['AccessSecretVersionResponse']>;
type ISecret = Parameters<V1['Secret']['create']>[0];
type ClientOptions = NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>;

/** The Secret Manager calls the store makes, as the library's client has them. */
export interface SecretManagerApi {
  getSecret(request: { name: string }): Promise<[Secret, ...unknown[]]>;
  createSecret(request: {
    parent: string;
    secretId: string;
    secret: ISecret;
  }): Promise<[Secret, ...unknown[]]>;
  updateSecret(request: {
    secret: ISecret;
    updateMask: { paths: string[] };
  }): Promise<[Secret, ...unknown[]]>;
  addSecretVersion(request: {
    parent: string;
    payload: { data: Buffer };
  }): Promise<[SecretVersion, ...unknown[]]>;
  accessSecretVersion(request: { name: string }): Promise<[AccessResponse, ...unknown[]]>;
  listSecretVersions(request: { parent: string; filter: string }): Promise<[SecretVersion[], ...unknown[]]>;
  disableSecretVersion(request: { name: string }): Promise<[SecretVersion, ...unknown[]]>;
  destroySecretVersion(request: { name: string }): Promise<[SecretVersion, ...unknown[]]>;
}

interface Version {
  value: string;
  /** The version's number (its name's last segment). */
  number: number;
}

export class GcpSecretManagerStore extends SetValueStore {
  readonly description: string;
  private readonly name: string;
  private readonly api: () => Promise<SecretManagerApi>;

  constructor(
    private readonly config: GcpSecretManagerDestinationConfig,
    context: SecretRefDeps = {},
  ) {
    super();
    this.description = gcpSecretManagerDestinationLabel(config);
    this.name = gcpSecretName(config);
    let client: Promise<SecretManagerApi> | undefined;
    // Loaded at the first request: the library takes most of a second to load, and the CLI never needs it.
    this.api = () => (client ??= this.createClient(context));
  }

  private async createClient(context: SecretRefDeps): Promise<SecretManagerApi> {
    const options = clientOptions(this.config);
    if (this.config.credentials !== undefined) {
      const json = resolveSecretRef(
        this.config.credentials,
        `the Google Cloud credentials of ${this.description}`,
        context,
      );
      try {
        // The library reads the content as it would the file (GoogleAuth.fromJSON).
        options.credentials = JSON.parse(json) as ClientOptions['credentials'];
      } catch {
        // Never the parser's message: it can quote the content, a private key.
        throw new DestinationAuthError(
          this.description,
          'credentials is not JSON (a Google Cloud key file is)',
        );
      }
    }
    const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
    return new SecretManagerServiceClient(options) as unknown as SecretManagerApi;
  }

  async read(): Promise<StoredSecret | null> {
    const current = await this.consumerVersion();
    if (!current || current.value === '') return null;
    return { value: current.value, version: String(current.number) };
  }

  /** A new newest version (what `latest` hands out) holding `value`, under the alias; a rollback sets the old key the same way. */
  protected setValue(value: string, purpose: SetPurpose, options: WriteOptions): Promise<WriteResult> {
    return this.makeCurrent(
      value,
      options,
      purpose === 'write the new key' ? 'store the new version' : purpose,
    );
  }

  /**
   * Disables (with `destroyPrevious`, destroys) every enabled version that holds `retiredValue`,
   * except those consumers read: latest, and any version an alias points at.
   */
  async retirePrevious(retiredValue: string): Promise<string[]> {
    const secret = await this.getSecret();
    if (!secret) return [];
    const latest = await this.accessVersion('latest');
    const kept = new Set([latest?.number, ...Object.values(aliasNumbers(secret.versionAliases))]);
    const [enabled] = await this.call('listSecretVersions', 'list the versions of the secret', async () =>
      (await this.api()).listSecretVersions({ parent: this.name, filter: 'state:ENABLED' }),
    );
    const retired: string[] = [];
    for (const version of enabled) {
      const number = versionNumber(version.name);
      if (kept.has(number) || (await this.accessVersion(String(number)))?.value !== retiredValue) continue;
      const name = `${this.name}/versions/${number}`;
      if (this.config.destroyPrevious)
        await this.call('destroySecretVersion', `destroy version ${number}`, async () =>
          (await this.api()).destroySecretVersion({ name }),
        );
      else
        await this.call('disableSecretVersion', `disable version ${number}`, async () =>
          (await this.api()).disableSecretVersion({ name }),
        );
      retired.push(String(number));
    }
    return retired;
  }

  private async makeCurrent(value: string, options: WriteOptions, action: string): Promise<WriteResult> {
    const secret = (await this.getSecret()) ?? (await this.createSecret(options));
    const latest = await this.accessVersion('latest');
    let number: number;
    if (latest?.value === value) {
      // Already the newest version: a retry after a lost reply, or a rollback of a write that never happened.
      number = latest.number;
    } else {
      const [added] = await this.call('addSecretVersion', action, async () =>
        (await this.api()).addSecretVersion({
          parent: this.name,
          payload: { data: Buffer.from(value, 'utf8') },
        }),
      );
      number = versionNumber(added.name);
      if (latest && number !== latest.number + 1) {
        throw new DestinationConflictError(
          this.description,
          `another writer added a version while the key was written (read version ${latest.number}, ` +
            `added version ${number}); the secret's history holds both. Check it, then rotate again.`,
        );
      }
    }
    await this.markAndPoint(secret, number, options);
    // Read back what a consumer reads: the alias when there is one, else latest.
    const readBack = await this.consumerVersion();
    if (readBack?.number !== number || readBack.value !== value) {
      throw new DestinationConflictError(
        this.description,
        `${this.config.versionAlias ?? 'latest'} does not hold the version just written (${labelOfKey(value)}, ` +
          `version ${number}); another writer is changing this secret. Let it finish, then rotate again.`,
      );
    }
    return { version: String(number) };
  }

  /**
   * Moves the alias to `number` and adds the managed labels a secret created by someone else
   * lacks, in one update whose etag makes Secret Manager refuse it if the secret changed meanwhile.
   */
  private async markAndPoint(secret: Secret, number: number, options: WriteOptions): Promise<void> {
    const alias = this.config.versionAlias;
    const paths: string[] = [];
    const update: ISecret = { name: this.name, etag: secret.etag };
    if (alias !== undefined && Number(secret.versionAliases?.[alias] ?? -1) !== number) {
      update.versionAliases = { ...aliasNumbers(secret.versionAliases), [alias]: number };
      paths.push('version_aliases');
    }
    if (secret.labels?.[MANAGED_BY_TAG] !== MANAGED_BY) {
      update.labels = { ...secret.labels, ...managedLabels(options) };
      paths.push('labels');
    }
    if (paths.length === 0) return;
    await this.call(
      'updateSecret',
      `move alias ${alias ?? ''} to version ${number}`.replace('  ', ' '),
      async () => (await this.api()).updateSecret({ secret: update, updateMask: { paths } }),
    );
  }

  /** The version consumers read: the alias's (until a rotation set it, latest's), or null when there is none. */
  private async consumerVersion(): Promise<Version | null> {
    const alias = this.config.versionAlias;
    return (alias !== undefined ? await this.accessVersion(alias) : null) ?? this.accessVersion('latest');
  }

  /** The version `selector` (a number or an alias) names, or null when there is none (or it is disabled). */
  private async accessVersion(selector: string): Promise<Version | null> {
    let response: AccessResponse;
    try {
      [response] = await (
        await this.api()
      ).accessSecretVersion({ name: `${this.name}/versions/${selector}` });
    } catch (err) {
      const code = grpcCode(err);
      // NOT_FOUND: no such secret, version or alias; FAILED_PRECONDITION: the version is disabled or destroyed.
      if (code === GrpcCode.NOT_FOUND || code === GrpcCode.FAILED_PRECONDITION) return null;
      throw gcpDestinationError(err, this.description, 'accessSecretVersion', 'read the secret', this.name);
    }
    const data = response.payload?.data;
    return {
      value: data === null || data === undefined ? '' : Buffer.from(data).toString('utf8'),
      number: versionNumber(response.name),
    };
  }

  private async getSecret(): Promise<Secret | null> {
    try {
      return (await (await this.api()).getSecret({ name: this.name }))[0];
    } catch (err) {
      if (grpcCode(err) === GrpcCode.NOT_FOUND) return null;
      throw gcpDestinationError(err, this.description, 'getSecret', 'read the secret', this.name);
    }
  }

  /** Creates the secret (automatic replication, labelled as managed); one created meanwhile is taken as it is. */
  private async createSecret(options: WriteOptions): Promise<Secret> {
    try {
      return (
        await (
          await this.api()
        ).createSecret({
          parent: `projects/${this.config.project}`,
          secretId: this.config.secret,
          secret: { replication: { automatic: {} }, labels: managedLabels(options) },
        })
      )[0];
    } catch (err) {
      if (grpcCode(err) === GrpcCode.ALREADY_EXISTS) {
        const secret = await this.getSecret();
        if (secret) return secret;
      }
      throw gcpDestinationError(err, this.description, 'createSecret', 'create the secret', this.name);
    }
  }

  private async call<T>(call: SecretManagerCall, action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw gcpDestinationError(err, this.description, call, action, this.name);
    }
  }
}

/**
 * The library's options for this destination's endpoint, if the config names one; else the
 * library's own defaults (Google's endpoint, TLS with the system's roots).
 */
function clientOptions(config: GcpSecretManagerDestinationConfig): ClientOptions {
  const options: ClientOptions = {};
  if (config.endpoint !== undefined) {
    const url = new URL(config.endpoint);
    options.apiEndpoint = url.hostname;
    options.port = url.port === '' ? 443 : Number(url.port);
  }
  return options;
}

/** Label values are lower-case letters, digits, - and _ (63 at most); a rotation name is a slug already. */
function managedLabels(options: WriteOptions): Record<string, string> {
  return {
    [MANAGED_BY_TAG]: MANAGED_BY,
    ...(options.rotation ? { [ROTATION_TAG]: options.rotation.toLowerCase().slice(0, 63) } : {}),
  };
}

function aliasNumbers(aliases: Secret['versionAliases'] | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(aliases ?? {}).map(([alias, n]) => [alias, Number(n)]));
}

/** `projects/p/secrets/s/versions/7` → 7. */
function versionNumber(name: string | null | undefined): number {
  const number = Number(name?.split('/').pop());
  if (!Number.isInteger(number) || number < 1)
    throw new DestinationError(
      'gcp-secret-manager',
      `Secret Manager answered an unexpected version name ${name}`,
      {
        retryable: true,
      },
    );
  return number;
}
