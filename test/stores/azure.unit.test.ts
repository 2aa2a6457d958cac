/**
 * The Azure Key Vault destination through Microsoft's own SDK (`@azure/keyvault-secrets`,
 * `@azure/identity`), unchanged, against an in-repo FAKE of Key Vault's secrets REST API and of the
 * Entra token endpoint (test/stores/azure-key-vault-fake.ts: Lowkey Vault cannot be had here), over
 * HTTPS with the fake's certificate trusted explicitly. Versions and tags, expiry, restore, a
 * retry after a lost reply, another writer, refused permissions and credentials, config and
 * policy refusals.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotationSchema } from '../../src/config/schema.js';
import {
  ConfigError,
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../src/errors/rotator-errors.js';
import { checkRotationAgainstPolicy } from '../../src/policy/index.js';
import {
  azureKeyVaultDestinationSchema,
  AzureKeyVaultStore,
  type AzureKeyVaultDestinationConfig,
} from '../../src/stores/azure-key-vault/index.js';
import { policyFor } from '../support/worker-policy.js';
import { DATA_ACTION, KeyVaultFake, trustKeyVaultFake } from './azure-key-vault-fake.js';
import { selfSignedCertificate } from '../support/self-signed-certificate.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const OTHER_KEY = 'sk-or-v1-' + 'c'.repeat(64);
const WRITER = '00000000-0000-4000-8000-000000000001';
const READER = '00000000-0000-4000-8000-000000000002';
const CERT_APP = '00000000-0000-4000-8000-000000000003';
const UPDATELESS = '00000000-0000-4000-8000-000000000004';
const EXPIRES = '2027-01-07T12:00:00.000Z';
const options = {
  idempotencyToken: 'azure-test-0001-store-0000000000',
  rotation: 'checkout',
  keyExpiresAt: () => Promise.resolve(EXPIRES),
};
const env: Record<string, string> = {
  AZ_WRITER_SECRET: 'writer-secret',
  AZ_READER_SECRET: 'reader-secret',
  AZ_UPDATELESS_SECRET: 'updateless-secret',
};
const SECRET_ENV: Record<string, string> = {
  [READER]: 'AZ_READER_SECRET',
  [UPDATELESS]: 'AZ_UPDATELESS_SECRET',
};

describe('Azure Key Vault destination (the SDK unchanged, a fake of the published REST API)', () => {
  let fake: KeyVaultFake;
  let certificateFile: string;
  let counter = 0;

  beforeAll(async () => {
    fake = await KeyVaultFake.start();
    trustKeyVaultFake(fake);
    fake.addApp(WRITER, env.AZ_WRITER_SECRET!);
    fake.addApp(READER, env.AZ_READER_SECRET!, [DATA_ACTION.get, DATA_ACTION.readMetadata]);
    fake.addApp(UPDATELESS, env.AZ_UPDATELESS_SECRET!, [
      DATA_ACTION.get,
      DATA_ACTION.readMetadata,
      DATA_ACTION.set,
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'azure-cert-'));
    const { keyFile: key, certFile: cert } = selfSignedCertificate({
      commonName: 'rotator',
      keyType: 'rsa',
      dir,
    });
    certificateFile = join(dir, 'rotator.pem');
    writeFileSync(certificateFile, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
    fake.addCertificateApp(CERT_APP, readFileSync(cert, 'utf8'));
  });
  afterAll(async () => {
    await fake?.stop();
  });

  function destination(extra: Partial<AzureKeyVaultDestinationConfig> = {}, clientId = WRITER) {
    const config = azureKeyVaultDestinationSchema.parse({
      type: 'azure-key-vault',
      vaultUrl: fake.vaultUrl,
      secret: `openrouter-${++counter}`,
      authorityHost: fake.authorityHost,
      credentials: {
        method: 'client-secret',
        tenantId: fake.tenantId,
        clientId,
        clientSecret: { env: SECRET_ENV[clientId] ?? 'AZ_WRITER_SECRET' },
      },
      ...extra,
    });
    return { config, store: new AzureKeyVaultStore(config, { env }), name: config.secret };
  }

  it('creates the secret with the key as its first version: tags, content type, the key’s expiry', async () => {
    const { store, name } = destination();
    expect(await store.read()).toBeNull();
    const { version } = await store.write(NEW_KEY, options);
    expect(version).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.read()).toEqual({ value: NEW_KEY, version });
    expect(fake.view(name)).toEqual([
      {
        value: NEW_KEY,
        enabled: true,
        tags: {
          'managed-by': 'key-rotator',
          'key-rotator-rotation': 'checkout',
          'key-rotator-key': 'sk-or-v1-bbb...bbbb',
        },
        contentType: 'text/plain',
        expires: '2027-01-07T12:00:00.000Z',
      },
    ]);
  });

  it('adds a version beside the old one, which stays enabled; restore makes the old key the newest again', async () => {
    const { store, name } = destination({ setExpiry: false });
    const old = fake.seed(name, OLD_KEY, { team: 'payments' });
    expect(await store.read()).toEqual({ value: OLD_KEY, version: old });
    const { version } = await store.write(NEW_KEY, options);
    expect(await store.read()).toEqual({ value: NEW_KEY, version });
    expect(fake.view(name)?.map((v) => [v.value, v.enabled, v.expires])).toEqual([
      [OLD_KEY, true, undefined],
      [NEW_KEY, true, undefined],
    ]);

    const restored = await store.restore(OLD_KEY, options);
    expect(await store.restore(OLD_KEY, options)).toEqual(restored);
    expect(await store.read()).toEqual({ value: OLD_KEY, version: restored.version });
    expect(fake.view(name)?.map((v) => [v.value, v.enabled, v.tags['key-rotator-key']])).toEqual([
      [OLD_KEY, true, undefined],
      [NEW_KEY, true, 'sk-or-v1-bbb...bbbb'],
      [OLD_KEY, true, 'sk-or-v1-aaa...aaaa'],
    ]);
  });

  it('retirePrevious disables the versions holding the deleted key, never the newest; again it does nothing', async () => {
    const { store, name } = destination();
    const [first, second] = [fake.seed(name, OLD_KEY), fake.seed(name, OLD_KEY)];
    fake.seed(name, OTHER_KEY);
    await store.write(NEW_KEY, options);
    expect((await store.retirePrevious!(OLD_KEY)).sort()).toEqual([first, second].sort());
    expect(await store.retirePrevious!(OLD_KEY)).toEqual([]);
    expect(await store.retirePrevious!(NEW_KEY)).toEqual([]);
    expect(fake.view(name)?.map((v) => [v.value, v.enabled])).toEqual([
      [OLD_KEY, false],
      [OLD_KEY, false],
      [OTHER_KEY, true],
      [NEW_KEY, true],
    ]);
    expect((await store.read())?.value).toBe(NEW_KEY);
  });

  it('retirePrevious without the update data action fails naming it, and disables nothing', async () => {
    const { store, name } = destination({}, UPDATELESS);
    fake.seed(name, OLD_KEY);
    await store.write(NEW_KEY, options);
    const denied = await store.retirePrevious!(OLD_KEY).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DestinationAuthError);
    expect(String(denied)).toContain(
      `grant the worker's identity Microsoft.KeyVault/vaults/secrets/update/action on acme/secrets/${name}`,
    );
    expect(fake.view(name)?.map((v) => v.enabled)).toEqual([true, true]);
  });

  it('a retry after a lost reply adds no second version', async () => {
    const { store, name } = destination();
    fake.seed(name, OLD_KEY);
    fake.loseNextReply('setSecret');
    const lost = await store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(DestinationError);
    expect((lost as DestinationError).retryable).toBe(true);
    // The version was set, only its reply lost (and the SDK did not repeat it): the retry finds it newest.
    const { version } = await store.write(NEW_KEY, options);
    expect(await store.read()).toEqual({ value: NEW_KEY, version });
    expect(fake.view(name)?.map((v) => v.value)).toEqual([OLD_KEY, NEW_KEY]);
  });

  it('another writer setting a version in between is a conflict', async () => {
    const { store, name } = destination();
    const old = fake.seed(name, OLD_KEY);
    fake.beforeNext('setSecret', () => fake.seed(name, OTHER_KEY));
    const raced = await store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(raced).toBeInstanceOf(DestinationConflictError);
    expect(String(raced)).toContain(
      `another writer changed the secret while the key was written (read version ${old}`,
    );
  });

  it('an identity without the setSecret data action fails at once naming the secret and the action, and nothing changes', async () => {
    const { store, name } = destination({}, READER);
    fake.seed(name, OLD_KEY);
    const denied = await store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DestinationAuthError);
    expect((denied as DestinationError).retryable).toBe(false);
    expect(String(denied)).toContain(
      `azure-key-vault:acme/${name}: Key Vault refused to store the new version (403: Caller is not authorized to perform action on resource. ` +
        "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'); grant the worker's identity " +
        `Microsoft.KeyVault/vaults/secrets/setSecret/action on acme/secrets/${name} (the role Key Vault Secrets Officer has it;`,
    );
    expect(fake.view(name)?.map((v) => v.value)).toEqual([OLD_KEY]);
  });

  it('a client certificate authenticates with a signed assertion', async () => {
    const { store, name } = destination({
      credentials: {
        method: 'client-certificate',
        tenantId: fake.tenantId,
        clientId: CERT_APP,
        certificate: { file: certificateFile },
      },
    });
    const { version } = await store.write(NEW_KEY, options);
    expect(await store.read()).toEqual({ value: NEW_KEY, version });
    expect(fake.view(name)).toHaveLength(1);
  });

  it('a wrong client secret fails fast as an auth error, a missing one names the variable', async () => {
    const wrong = new AzureKeyVaultStore(destination().config, {
      env: { ...env, AZ_WRITER_SECRET: 'wrong' },
    });
    const refused = await wrong.read().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DestinationAuthError);
    expect((refused as DestinationError).retryable).toBe(false);
    expect(String(refused)).toContain('Microsoft Entra ID gave the worker no token to read the secret');
    expect(String(refused)).not.toContain('wrong');

    const missing = await new AzureKeyVaultStore(destination().config, { env: {} })
      .read()
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect(String(missing)).toContain(
      'environment variable AZ_WRITER_SECRET is not set; it must hold the Azure client secret of azure-key-vault:acme/',
    );
  });

  it('a disabled newest version is reported, not taken for an empty secret', async () => {
    const { store, name } = destination();
    fake.seed(name, OLD_KEY);
    fake.disableNewest(name);
    const error = await store.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect(String(error)).toContain('the newest version is disabled, so consumers get 403 for it');
  });

  it('the config refuses a vault URL that is not https or has a path, and a secret name Key Vault would refuse', () => {
    const parse = (extra: object) =>
      azureKeyVaultDestinationSchema.safeParse({
        type: 'azure-key-vault',
        vaultUrl: 'https://acme.vault.azure.net',
        secret: 's',
        ...extra,
      });
    expect(parse({}).data?.credentials).toEqual({ method: 'default' });
    expect(parse({ vaultUrl: 'http://127.0.0.1:8443' }).error?.issues[0]?.message).toContain(
      'Key Vault is only reached over TLS',
    );
    expect(parse({ vaultUrl: 'https://acme.vault.azure.net/secrets' }).error?.issues[0]?.message).toContain(
      'with no path',
    );
    expect(parse({ secret: 'a_b' }).error?.issues[0]?.message).toContain('expected a Key Vault secret name');
    expect(
      parse({
        credentials: { method: 'client-secret', tenantId: 't', clientId: 'x', clientSecret: { env: 'S' } },
      }).error?.issues[0]?.message,
    ).toContain('expected an application (client) id, a GUID');
  });

  it('the worker policy refuses a vault, an authority host and a secret it does not list', () => {
    const rotation = rotationSchema.parse({
      name: 'checkout',
      openrouter: { key: { name: 'azure-policy' } },
      schedule: { intervalDays: 7 },
      destinations: [
        {
          type: 'azure-key-vault',
          vaultUrl: 'https://other.vault.azure.net',
          secret: 'key',
          authorityHost: 'https://login.example.com',
        },
        { type: 'azure-key-vault', vaultUrl: 'https://acme.vault.azure.net', secret: 'key' },
      ],
    });
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      azureVaultUrls: ['https://acme.vault.azure.net'],
      azureSecrets: ['acme/*'],
    });
    expect(checkRotationAgainstPolicy(rotation, policy)).toEqual([
      {
        path: 'destinations[0].vaultUrl',
        message:
          "https://other.vault.azure.net/ is not in the worker policy's destinations.azureVaultUrls (allowed: https://acme.vault.azure.net)",
      },
      {
        path: 'destinations[0].authorityHost',
        message:
          "https://login.example.com/ is not in the worker policy's destinations.azureAuthorityHosts (allowed: none)",
      },
      {
        path: 'destinations[0].secret',
        message:
          "Key Vault secret other/key is not in the worker policy's destinations.azureSecrets (allowed: acme/*)",
      },
    ]);
  });
});
