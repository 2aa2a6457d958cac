/**
 * The Google Cloud Secret Manager destination through Google's own client library, unchanged but
 * for the endpoint, against an in-repo FAKE of the service (test/stores/gcp-secret-manager-fake.ts:
 * no emulator can be had here; the fake serves Google's published service description over gRPC
 * with TLS). Versions, the alias, restore, a retry after a lost reply, concurrent writers (version
 * number and etag), refused permissions and credentials, the status codes against the published
 * protos, and the worker policy's target list.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotationSchema } from '../../src/config/schema.js';
import {
  ConfigError,
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../src/errors/rotator-errors.js';
import { checkRotationAgainstPolicy } from '../../src/policy/index.js';
import { GrpcCode } from '../../src/stores/gcp-secret-manager/errors.js';
import {
  gcpSecretManagerDestinationSchema,
  GcpSecretManagerStore,
  type GcpSecretManagerDestinationConfig,
} from '../../src/stores/gcp-secret-manager/index.js';
import { policyFor } from '../support/worker-policy.js';
import { SecretManagerFake, writeServiceAccountKey } from './gcp-secret-manager-fake.js';

// gRPC reads its trusted roots' path once, when it loads: before any import loads it.
const caFile = vi.hoisted(() => {
  const file = `${process.env.TMPDIR ?? '/tmp'}/gcp-fake-ca-${process.pid}.pem`;
  process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = file;
  return file;
});

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const project = 'acme-test';
const options = { idempotencyToken: 'gcp-test-0001-store-000000000000', rotation: 'checkout' };

describe('GCP Secret Manager destination (library unchanged, fake of the published service)', () => {
  let fake: SecretManagerFake;
  let writer: { file: string; email: string };
  let reader: { file: string; email: string };
  let lister: { file: string; email: string };
  let counter = 0;

  beforeAll(async () => {
    fake = await SecretManagerFake.start(caFile);
    const dir = mkdtempSync(join(tmpdir(), 'gcp-keys-'));
    writer = writeServiceAccountKey(dir, 'rotator');
    reader = writeServiceAccountKey(dir, 'reader');
    fake.grant(reader.email, ['secretmanager.secrets.get', 'secretmanager.versions.access']);
    lister = writeServiceAccountKey(dir, 'lister');
    fake.grant(lister.email, [
      'secretmanager.secrets.get',
      'secretmanager.versions.access',
      'secretmanager.versions.list',
    ]);
  });
  afterAll(async () => {
    await fake?.stop();
  });

  function destination(extra: Partial<GcpSecretManagerDestinationConfig> = {}) {
    const config = gcpSecretManagerDestinationSchema.parse({
      type: 'gcp-secret-manager',
      project,
      secret: `openrouter-${++counter}`,
      endpoint: fake.endpoint,
      credentials: { file: writer.file },
      ...extra,
    });
    return {
      config,
      store: new GcpSecretManagerStore(config),
      name: `projects/${project}/secrets/${config.secret}`,
    };
  }

  it('creates a missing secret, labelled as managed, with the key as version 1', async () => {
    const { store, name } = destination();
    expect(await store.read()).toBeNull();
    expect(await store.write(NEW_KEY, options)).toEqual({ version: '1' });
    expect(await store.read()).toEqual({ value: NEW_KEY, version: '1' });
    expect(fake.view(name)).toEqual({
      labels: { 'managed-by': 'key-rotator', 'key-rotator-rotation': 'checkout' },
      versions: [{ value: NEW_KEY, state: 'ENABLED', aliases: [] }],
    });
  });

  it('adds a version and moves the alias to it; the previous version stays enabled, and restore brings the old key back as the newest', async () => {
    const { store, name } = destination({ versionAlias: 'current' });
    fake.seed(name, OLD_KEY, { team: 'payments' });
    expect(await store.read()).toEqual({ value: OLD_KEY, version: '1' });
    expect(await store.write(NEW_KEY, options)).toEqual({ version: '2' });
    expect(await store.read()).toEqual({ value: NEW_KEY, version: '2' });
    expect(fake.view(name)).toEqual({
      // A secret someone else created keeps its labels and gains key-rotator's.
      labels: { team: 'payments', 'managed-by': 'key-rotator', 'key-rotator-rotation': 'checkout' },
      versions: [
        { value: OLD_KEY, state: 'ENABLED', aliases: [] },
        { value: NEW_KEY, state: 'ENABLED', aliases: ['current'] },
      ],
    });

    expect(await store.restore(OLD_KEY, options)).toEqual({ version: '3' });
    expect(await store.restore(OLD_KEY, options)).toEqual({ version: '3' });
    expect(fake.view(name)?.versions).toEqual([
      { value: OLD_KEY, state: 'ENABLED', aliases: [] },
      { value: NEW_KEY, state: 'ENABLED', aliases: [] },
      { value: OLD_KEY, state: 'ENABLED', aliases: ['current'] },
    ]);
  });

  it('retirePrevious disables the versions holding the deleted key, never latest or an aliased one; destroyPrevious destroys them', async () => {
    const { store, name } = destination({ versionAlias: 'current' });
    fake.seed(name, OLD_KEY);
    await store.write(NEW_KEY, options);
    // Versions 3 (the old key again, by hand) and 4 (latest); the alias stays on 2.
    fake.addVersion(name, OLD_KEY);
    fake.addVersion(name, NEW_KEY);
    expect(await store.retirePrevious!(OLD_KEY)).toEqual(['3', '1']);
    expect(await store.retirePrevious!(OLD_KEY)).toEqual([]);
    expect(fake.view(name)?.versions.map((v) => v.state)).toEqual([
      'DISABLED',
      'ENABLED',
      'DISABLED',
      'ENABLED',
    ]);
    expect(await store.read()).toEqual({ value: NEW_KEY, version: '2' });

    const destroying = destination({ destroyPrevious: true });
    fake.seed(destroying.name, OLD_KEY);
    await destroying.store.write(NEW_KEY, options);
    expect(await destroying.store.retirePrevious!(OLD_KEY)).toEqual(['1']);
    expect(fake.view(destroying.name)?.versions).toEqual([
      { value: '', state: 'DESTROYED', aliases: [] },
      { value: NEW_KEY, state: 'ENABLED', aliases: [] },
    ]);
  });

  it('retirePrevious without secretmanager.versions.disable fails naming the permission, and disables nothing', async () => {
    const { store, name } = destination();
    fake.seed(name, OLD_KEY);
    await store.write(NEW_KEY, options);
    const { store: reading } = destination({
      secret: name.split('/').pop()!,
      credentials: { file: reader.file },
    });
    fake.grant(reader.email, [
      'secretmanager.secrets.get',
      'secretmanager.versions.access',
      'secretmanager.versions.list',
    ]);
    const denied = await reading.retirePrevious!(OLD_KEY).catch((e: unknown) => e);
    fake.grant(reader.email, ['secretmanager.secrets.get', 'secretmanager.versions.access']);
    expect(denied).toBeInstanceOf(DestinationAuthError);
    expect(String(denied)).toContain(`grant the worker's identity secretmanager.versions.disable on ${name}`);
    expect(fake.view(name)?.versions.map((v) => v.state)).toEqual(['ENABLED', 'ENABLED']);
  });

  it('a retry after a lost reply adds no second version', async () => {
    const { store, name } = destination({ versionAlias: 'current' });
    fake.seed(name, OLD_KEY);
    fake.loseNextReply('AddSecretVersion');
    const lost = await store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(DestinationError);
    expect((lost as DestinationError).retryable).toBe(true);
    // The version was added, only its reply lost: the retry finds it newest and only moves the alias.
    expect(await store.write(NEW_KEY, options)).toEqual({ version: '2' });
    expect(fake.view(name)?.versions).toEqual([
      { value: OLD_KEY, state: 'ENABLED', aliases: [] },
      { value: NEW_KEY, state: 'ENABLED', aliases: ['current'] },
    ]);
  });

  it('another writer adding a version in between is a conflict, and so is a secret changed before the alias moves (its etag)', async () => {
    const first = destination();
    fake.seed(first.name, OLD_KEY);
    fake.beforeNext('AddSecretVersion', () => fake.addVersion(first.name, 'sk-or-v1-' + 'c'.repeat(64)));
    const raced = await first.store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(raced).toBeInstanceOf(DestinationConflictError);
    expect(String(raced)).toContain('read version 1, added version 3');

    const second = destination({ versionAlias: 'current' });
    fake.seed(second.name, OLD_KEY, { 'managed-by': 'key-rotator' });
    fake.beforeNext('UpdateSecret', () => fake.relabel(second.name, { 'managed-by': 'key-rotator', x: 'y' }));
    const stale = await second.store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(DestinationConflictError);
    expect(String(stale)).toContain('etag');
    expect(fake.view(second.name)?.versions.flatMap((v) => v.aliases)).toEqual([]);
  });

  it('an identity without secretmanager.versions.add fails at once naming the secret and the permission, and nothing changes', async () => {
    const { store, name } = destination({ credentials: { file: reader.file } });
    fake.seed(name, OLD_KEY);
    const denied = await store.write(NEW_KEY, options).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DestinationAuthError);
    expect((denied as DestinationError).retryable).toBe(false);
    expect(String(denied)).toContain(
      `gcp-secret-manager:${name}: Google Cloud refused to store the new version (PERMISSION_DENIED: ` +
        `Permission 'secretmanager.versions.add' denied for resource '${name}' (or it may not exist).); ` +
        `grant the worker's identity secretmanager.versions.add on ${name}`,
    );
    expect(fake.view(name)?.versions).toHaveLength(1);
  });

  it('a missing credentials file, or one that is not a key file, fails naming it, not a retry', async () => {
    const missing = await destination({ credentials: { file: '/nonexistent/key.json' } })
      .store.read()
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect(String(missing)).toContain(
      'file /nonexistent/key.json does not exist; it must hold the Google Cloud credentials of gcp-secret-manager:',
    );
    process.env.GCP_TEST_NOT_JSON = 'not a key file';
    const notJson = await destination({ credentials: { env: 'GCP_TEST_NOT_JSON' } })
      .store.read()
      .catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(DestinationAuthError);
    expect(String(notJson)).toContain('credentials is not JSON (a Google Cloud key file is)');
  });

  it("the status codes the store tells apart are google.rpc.Code's, as Google publishes them", () => {
    // google/rpc/code.proto as the library's google-gax ships it.
    const library = createRequire(createRequire(import.meta.url).resolve('@google-cloud/secret-manager'));
    const gax = dirname(library.resolve('google-gax')); // .../google-gax/build/src
    const proto = readFileSync(join(gax, '../protos/google/rpc/code.proto'), 'utf8');
    const codes = Object.fromEntries(
      [...proto.matchAll(/^ {2}([A-Z_]+) = (\d+);$/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(Object.keys(codes)).toHaveLength(17);
    for (const [name, value] of Object.entries(GrpcCode)) expect([name, codes[name]]).toEqual([name, value]);
  });

  it('the config refuses a project or secret id Google would refuse, and an http endpoint', () => {
    const parse = (extra: object) =>
      gcpSecretManagerDestinationSchema.safeParse({
        type: 'gcp-secret-manager',
        project,
        secret: 's',
        ...extra,
      });
    expect(parse({}).success).toBe(true);
    expect(parse({ project: 'Acme' }).error?.issues[0]?.message).toContain(
      'expected a Google Cloud project id',
    );
    expect(parse({ secret: 'a/b' }).error?.issues[0]?.message).toContain('expected a secret id');
    expect(parse({ endpoint: 'http://127.0.0.1:8443' }).error?.issues[0]?.message).toContain('gRPC over TLS');
    expect(parse({ versionAlias: 'latest' }).error?.issues[0]?.message).toContain("Google's own alias");
  });

  it('the worker policy refuses a secret outside its list and an endpoint it does not name', () => {
    const rotation = rotationSchema.parse({
      name: 'checkout',
      openrouter: { key: { name: 'gcp-policy' } },
      schedule: { intervalDays: 7 },
      destinations: [
        {
          type: 'gcp-secret-manager',
          project: 'other-proj',
          secret: 'key',
          endpoint: 'https://127.0.0.1:8443',
        },
        { type: 'gcp-secret-manager', project, secret: 'key' },
      ],
    });
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      gcpSecrets: [`${project}/*`],
    });
    expect(checkRotationAgainstPolicy(rotation, policy)).toEqual([
      {
        path: 'destinations[0].endpoint',
        message:
          "https://127.0.0.1:8443/ is not in the worker policy's destinations.gcpSecretManagerEndpoints (allowed: none)",
      },
      {
        path: 'destinations[0].secret',
        message:
          "Secret Manager secret other-proj/key is not in the worker policy's destinations.gcpSecrets (allowed: acme-test/*)",
      },
    ]);
  });
});
