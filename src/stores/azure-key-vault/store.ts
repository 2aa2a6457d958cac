/**
 * Azure Key Vault destination: each write is a Set Secret, which adds a version; consumers read
 * the newest version (Get Secret with no version). The version before stays enabled: the rollback
 * target. A rollback sets the old key again as the newest version. Each version is tagged
 * (managed-by, the rotation, the key's label) and, when the key has one, expires with the key.
 *
 * Key Vault has no etag or idempotency token for secrets. A retry after a lost reply finds its
 * value already the newest version and adds nothing (the SDK's own retries are off for that
 * reason: it would repeat the PUT blindly). Another writer is caught by the version history: after
 * the write, ours must be the newest version and the only one created since the version read
 * before it (Key Vault's creation times have one-second resolution).
 */
import type { TokenCredential } from '@azure/identity';
import type { KeyVaultSecret, SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import { DestinationConflictError, DestinationError } from '../../errors/rotator-errors.js';
import { labelOfKey } from '../../errors/redact.js';
import { resolveSecretRef, type SecretRefDeps } from '../../fields/secret-ref.js';
import { KEY_LABEL_TAG, MANAGED_BY, MANAGED_BY_TAG, ROTATION_TAG } from '../managed-marks.js';
import type { StoredSecret, WriteOptions, WriteResult } from '../secret-store.js';
import { SetValueStore, type SetPurpose } from '../set-value-store.js';
import { azureDestinationError, isDisabledSecret, statusOf, type KeyVaultCall } from './errors.js';
import { azureKeyVaultDestinationLabel } from './label.js';
import { azureVaultName, type AzureKeyVaultDestinationConfig } from './schema.js';

/** The SecretClient calls the store makes, as the SDK has them. */
export type KeyVaultApi = Pick<
  SecretClient,
  'setSecret' | 'getSecret' | 'listPropertiesOfSecretVersions' | 'updateSecretProperties'
>;

interface Version {
  value: string;
  version: string;
  createdOn: Date | undefined;
}

export class AzureKeyVaultStore extends SetValueStore {
  readonly description: string;
  /** `<vault>/secrets/<name>`, for the permission messages. */
  private readonly secretId: string;
  private readonly api: () => Promise<KeyVaultApi>;

  constructor(
    private readonly config: AzureKeyVaultDestinationConfig,
    context: SecretRefDeps = {},
  ) {
    super();
    this.description = azureKeyVaultDestinationLabel(config);
    this.secretId = `${azureVaultName(config)}/secrets/${config.secret}`;
    let client: Promise<KeyVaultApi> | undefined;
    // Loaded at the first request: the SDK and @azure/identity take a while to load, and the CLI never needs them.
    this.api = () => (client ??= this.createClient(context));
  }

  private async createClient(context: SecretRefDeps): Promise<KeyVaultApi> {
    const credential = await this.credential(context);
    const { SecretClient } = await import('@azure/keyvault-secrets');
    return new SecretClient(this.config.vaultUrl, credential, {
      // Off: a Set Secret the SDK repeats after a lost reply adds a second version; the activity's retry checks first.
      retryOptions: { maxRetries: 0 },
    });
  }

  private async credential(context: SecretRefDeps): Promise<TokenCredential> {
    const c = this.config.credentials;
    const authority = this.config.authorityHost;
    // An authority host the worker policy allowed is trusted as it is: no discovery through Microsoft's public cloud.
    const options =
      authority === undefined ? {} : { authorityHost: authority, disableInstanceDiscovery: true };
    const identity = await import('@azure/identity');
    if (c.method === 'client-secret') {
      const secret = resolveSecretRef(
        c.clientSecret,
        `the Azure client secret of ${this.description}`,
        context,
      );
      return new identity.ClientSecretCredential(c.tenantId, c.clientId, secret, options);
    }
    if (c.method === 'client-certificate') {
      const pem = resolveSecretRef(
        c.certificate,
        `the Azure client certificate of ${this.description}`,
        context,
      );
      return new identity.ClientCertificateCredential(c.tenantId, c.clientId, { certificate: pem }, options);
    }
    return new identity.DefaultAzureCredential(authority === undefined ? {} : { authorityHost: authority });
  }

  async read(): Promise<StoredSecret | null> {
    const current = await this.newest();
    return current && current.value !== '' ? { value: current.value, version: current.version } : null;
  }

  /** A new newest version (what consumers read) holding `value`; a rollback sets the old key the same way. */
  protected setValue(value: string, purpose: SetPurpose, options: WriteOptions): Promise<WriteResult> {
    return this.makeCurrent(
      value,
      options,
      purpose === 'write the new key' ? 'store the new version' : purpose,
    );
  }

  /** Disables every enabled version that holds `retiredValue`, except the newest (what consumers read). */
  async retirePrevious(retiredValue: string): Promise<string[]> {
    const newest = await this.newest();
    const retired: string[] = [];
    for (const { version, enabled } of await this.versions()) {
      if (!enabled || version === newest?.version) continue;
      if ((await this.getVersion(version))?.value !== retiredValue) continue;
      await this.call('updateSecret', `disable version ${version}`, async () =>
        (await this.api()).updateSecretProperties(this.config.secret, version, { enabled: false }),
      );
      retired.push(version);
    }
    return retired;
  }

  private async makeCurrent(value: string, options: WriteOptions, action: string): Promise<WriteResult> {
    const before = await this.newest();
    // Already the newest version: a retry after a lost reply, or a rollback of a write that never happened.
    if (before?.value === value) return { version: before.version };
    const expiresOn = this.config.setExpiry ? await expiryOf(options) : undefined;
    const written = await this.call('setSecret', action, async () =>
      (await this.api()).setSecret(this.config.secret, value, {
        contentType: this.config.contentType,
        tags: {
          [MANAGED_BY_TAG]: MANAGED_BY,
          ...(options.rotation ? { [ROTATION_TAG]: options.rotation } : {}),
          [KEY_LABEL_TAG]: labelOfKey(value),
        },
        ...(expiresOn ? { expiresOn } : {}),
      }),
    );
    const version = versionOf(written, this.description);
    await this.checkNoOtherWriter(before, version);
    // Read back the version just written: it holds the value.
    const readBack = await this.getVersion(version);
    if (readBack?.value !== value)
      throw new DestinationError(
        this.description,
        `version ${version} does not read back the value just written`,
        {
          retryable: true,
        },
      );
    return { version };
  }

  /**
   * Ours must be the newest version and the only one created after `before`, else another writer
   * got in between or after: a conflict, which the rotation rolls back.
   */
  private async checkNoOtherWriter(before: Version | null, ours: string): Promise<void> {
    const versions = await this.versions();
    const others = versions.filter(
      (v) =>
        v.version !== ours &&
        v.version !== before?.version &&
        (before?.createdOn === undefined || (v.createdOn !== undefined && v.createdOn > before.createdOn)),
    );
    const newest = await this.newest();
    if (others.length > 0 || newest?.version !== ours) {
      throw new DestinationConflictError(
        this.description,
        `another writer changed the secret while the key was written (read version ${before?.version ?? 'none'}, ` +
          `wrote ${ours}, also found ${others.map((v) => v.version).join(', ') || `newest ${newest?.version ?? 'none'}`}). ` +
          'Check it, then rotate again.',
      );
    }
  }

  /** The newest version (what consumers read), or null when the secret does not exist. */
  private async newest(): Promise<Version | null> {
    return this.getVersion(undefined);
  }

  private async getVersion(version: string | undefined): Promise<Version | null> {
    let secret: KeyVaultSecret;
    try {
      secret = await (await this.api()).getSecret(this.config.secret, version ? { version } : {});
    } catch (err) {
      if (statusOf(err) === 404) return null;
      if (isDisabledSecret(err))
        throw new DestinationError(
          this.description,
          `the ${version ? `version ${version}` : 'newest version'} is disabled, so consumers get 403 for it; ` +
            'enable it or set a new version by hand, then rotate again',
          { cause: err },
        );
      throw azureDestinationError(err, this.description, 'getSecret', 'read the secret', this.secretId);
    }
    return {
      value: secret.value ?? '',
      version: versionOf(secret, this.description),
      createdOn: secret.properties.createdOn,
    };
  }

  /** Every version's properties (no values), oldest first. */
  private async versions(): Promise<{ version: string; createdOn: Date | undefined; enabled: boolean }[]> {
    return this.call('listVersions', 'list the versions of the secret', async () => {
      const out: { version: string; createdOn: Date | undefined; enabled: boolean }[] = [];
      for await (const p of (await this.api()).listPropertiesOfSecretVersions(this.config.secret)) {
        out.push({
          version: propertiesVersion(p, this.description),
          createdOn: p.createdOn,
          enabled: p.enabled !== false,
        });
      }
      return out.sort((a, b) => (a.createdOn?.getTime() ?? 0) - (b.createdOn?.getTime() ?? 0));
    });
  }

  private async call<T>(call: KeyVaultCall, action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw azureDestinationError(err, this.description, call, action, this.secretId);
    }
  }
}

async function expiryOf(options: WriteOptions): Promise<Date | undefined> {
  const at = await options.keyExpiresAt?.();
  if (!at) return undefined;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function versionOf(secret: KeyVaultSecret, description: string): string {
  return propertiesVersion(secret.properties, description);
}

function propertiesVersion(p: SecretProperties, description: string): string {
  if (!p.version)
    throw new DestinationError(description, `Key Vault answered without a version id (${p.id ?? 'no id'})`, {
      retryable: true,
    });
  return p.version;
}
