/**
 * The GitHub Actions secret destination against the in-repo GitHub fake, whose requests and
 * answers are checked against GitHub's OpenAPI description (every test ends with no violations).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { createDestinationActivities } from '../../src/activities/destination-activities.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';
import { rotationSchema } from '../../src/config/schema.js';
import { DestinationAuthError, DestinationError } from '../../src/errors/rotator-errors.js';
import { checkRotationAgainstPolicy, workerPolicyFromRules } from '../../src/policy/index.js';
import {
  githubActionsSecretDestinationSchema,
  GithubActionsSecretStore,
  type GithubActionsSecretDestinationConfig,
  type GithubStoreDeps,
} from '../../src/stores/github-actions-secret/index.js';
import { startGithubFake, type GithubFake } from './github-fake.js';
import { findFreePort, waitFor } from '../support/net.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const WRITE = { idempotencyToken: 'rotation-test-0001-store-00000000000' };
const TOKEN = 'ghp_writer_token_0123456789abcdef';
const READ_ONLY_TOKEN = 'ghp_reader_token_0123456789abcdef';
const APP = { appId: '424242', installationId: '777' };
const appKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let clock = Date.parse('2026-06-01T00:00:00Z');
const now = () => clock;
let fake: GithubFake;
let counter = 0;

beforeAll(async () => {
  fake = await startGithubFake({
    tokens: [TOKEN],
    readOnlyTokens: [READ_ONLY_TOKEN],
    app: { ...APP, publicKeyPem: appKeys.publicKey },
    repositories: ['octo/app'],
    environments: { 'octo/app': ['production'] },
    organizations: ['octo'],
    now,
  });
});
afterAll(async () => {
  await fake?.stop();
});
afterEach(() => {
  expect(fake.violations.splice(0)).toEqual([]);
});

function store(
  overrides: Partial<GithubActionsSecretDestinationConfig> = {},
  deps: GithubStoreDeps = {},
): { s: GithubActionsSecretStore; name: string } {
  const config = githubActionsSecretDestinationSchema.parse({
    type: 'github-actions-secret',
    apiUrl: fake.url,
    repository: 'octo/app',
    secretName: `OPENROUTER_API_KEY_${++counter}`,
    auth: { token: { env: 'GITHUB_TOKEN' } },
    ...overrides,
  });
  const s = new GithubActionsSecretStore(config, {
    env: { GITHUB_TOKEN: TOKEN, GITHUB_READ_TOKEN: READ_ONLY_TOKEN, GITHUB_APP_KEY: appKeys.privateKey },
    now,
    ...deps,
  });
  return { s, name: config.secretName };
}

const stored = (scope: string, name: string) =>
  fake.secrets().find((x) => x.scope === scope && x.name === name);

describe('GitHub Actions secret store against the OpenAPI-checked fake', () => {
  it('creates a repository secret sealed for the repository key, and reports only its write time', async () => {
    const { s, name } = store();
    expect(await s.readWriteOnlyState()).toBeNull();
    const { version } = await s.write(NEW_KEY, WRITE);

    expect(stored('repos/octo/app', name)?.value).toBe(NEW_KEY);
    expect(await s.read()).toBeNull();
    expect(await s.readWriteOnlyState()).toEqual({ updatedAt: '2026-06-01T00:00:00Z', version });
    const puts = fake.requests.filter((r) => r.method === 'PUT');
    expect(puts.at(-1)?.path).toBe(`/repos/octo/app/actions/secrets/${name}`);
  });

  it('updates an existing secret (204) and writes the previous value back on restore', async () => {
    const { s, name } = store();
    fake.setSecret('repos/octo/app', name, OLD_KEY, clock - 86_400_000);
    clock += 1000;
    await s.write(NEW_KEY, WRITE);
    expect(stored('repos/octo/app', name)).toMatchObject({
      value: NEW_KEY,
      updatedAt: '2026-06-01T00:00:01Z',
    });
    clock += 1000;
    await s.restore(OLD_KEY, WRITE);
    expect(stored('repos/octo/app', name)?.value).toBe(OLD_KEY);
  });

  it('writes environment secrets and organisation secrets with their visibility', async () => {
    const { s: env, name: envName } = store({ environment: 'production' });
    await env.write(NEW_KEY, WRITE);
    expect(stored('repos/octo/app/environments/production', envName)?.value).toBe(NEW_KEY);
    expect(await env.readWriteOnlyState()).not.toBeNull();

    const { s: org, name: orgName } = store({
      repository: undefined,
      organization: 'octo',
      visibility: 'selected',
      selectedRepositoryIds: [1296269],
    });
    await org.write(NEW_KEY, WRITE);
    expect(stored('orgs/octo', orgName)).toMatchObject({
      value: NEW_KEY,
      visibility: 'selected',
      selectedRepositoryIds: [1296269],
    });
    expect(await org.readWriteOnlyState()).not.toBeNull();
  });

  it('authenticates as a GitHub App and reuses the installation token until shortly before it expires', async () => {
    const { s, name } = store({
      auth: { app: { ...APP, privateKey: { env: 'GITHUB_APP_KEY' } } },
    });
    const before = fake.installationTokensIssued;
    await s.write(NEW_KEY, WRITE);
    await s.readWriteOnlyState();
    expect(fake.installationTokensIssued).toBe(before + 1);
    expect(stored('repos/octo/app', name)?.value).toBe(NEW_KEY);

    clock += 56 * 60_000; // GitHub's tokens live an hour; renewed 5 minutes early
    await s.readWriteOnlyState();
    expect(fake.installationTokensIssued).toBe(before + 2);
  });

  it('reports an App the installation refuses as a non-retryable auth error', async () => {
    const { s } = store({
      auth: { app: { appId: APP.appId, installationId: '999', privateKey: { env: 'GITHUB_APP_KEY' } } },
    });
    const error = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as Error).message).toMatch(/installation 999.*check the app id, the installation id/);
  });

  it('reports a bad or read-only token as a non-retryable auth error that never shows the token', async () => {
    const { s: bad } = store({}, { env: { GITHUB_TOKEN: 'ghp_not_a_valid_token_0000' } });
    const badError = await bad.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect(badError).toBeInstanceOf(DestinationAuthError);
    expect((badError as DestinationError).retryable).toBe(false);
    expect((badError as Error).message).toMatch(/HTTP 401: Bad credentials/);
    expect((badError as Error).message).not.toContain('ghp_not_a_valid_token_0000');

    const { s: reader, name } = store({ auth: { token: { env: 'GITHUB_READ_TOKEN' } } });
    const readError = await reader.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(DestinationAuthError);
    expect((readError as Error).message).toMatch(/Secrets read and write access to the repository octo\/app/);
    expect(stored('repos/octo/app', name)).toBeUndefined();
  });

  it('treats a rate-limited 403 as retryable and waits until the reset', async () => {
    const { s } = store();
    fake.failNext(403, 1, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(clock / 1000 + 90) });
    const error = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect(error).not.toBeInstanceOf(DestinationAuthError);
    expect((error as DestinationError).retryable).toBe(true);
    expect((error as DestinationError).retryAfterMs).toBe(90_000);
  });

  it('seals again once with the new public key when GitHub changed it between GET and PUT', async () => {
    const { name } = store();
    let rotated = false;
    const { s } = store(
      { secretName: name },
      {
        // Rotate the key right after the store fetched it, as GitHub may at any time.
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (!rotated && input.endsWith('/public-key')) {
            rotated = true;
            fake.rotatePublicKey();
          }
          return response;
        },
      },
    );
    await s.write(NEW_KEY, WRITE);
    expect(stored('repos/octo/app', name)?.value).toBe(NEW_KEY);
    const keyFetches = fake.requests.filter((r) => r.path === '/repos/octo/app/actions/secrets/public-key');
    expect(keyFetches.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a redirect, so the token is not sent on', async () => {
    const { s, name } = store();
    fake.redirectNext('https://elsewhere.example.com/steal');
    const error = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(
      /redirect \(307\) to https:\/\/elsewhere\.example\.com\/steal.*apiUrl/,
    );
    expect(stored('repos/octo/app', name)).toBeUndefined();
  });

  it('reports a missing repository as non-retryable, and 5xx or no server as retryable', async () => {
    const { s: missing } = store({ repository: 'octo/nope' });
    const missingError = await missing.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect((missingError as DestinationError).retryable).toBe(false);
    expect((missingError as Error).message).toMatch(
      /404.*repository octo\/nope does not exist or the credential/,
    );

    const { s } = store();
    fake.failNext(502);
    const serverError = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect((serverError as DestinationError).retryable).toBe(true);

    const { s: down } = store({ apiUrl: `http://127.0.0.1:${await findFreePort()}` });
    const downError = await down.readWriteOnlyState().catch((e: unknown) => e);
    expect((downError as DestinationError).retryable).toBe(true);
    expect((downError as Error).message).toMatch(/could not reach GitHub/);
  });

  it('refuses an empty value without a request', async () => {
    const { s } = store();
    const requests = fake.requests.length;
    await expect(s.write('', WRITE)).rejects.toThrow(/refusing to write the new key: the value is empty/);
    expect(fake.requests.length).toBe(requests);
  });

  it('describes itself without secrets', () => {
    expect(store({ secretName: 'KEY' }).s.description).toBe('github-actions-secret:octo/app#KEY');
    expect(store({ secretName: 'KEY', environment: 'production' }).s.description).toBe(
      'github-actions-secret:octo/app/environments/production#KEY',
    );
    expect(store({ secretName: 'KEY', repository: undefined, organization: 'octo' }).s.description).toBe(
      'github-actions-secret:orgs/octo#KEY',
    );
  });
});

describe('GitHub destination config and worker policy', () => {
  const rotation = (destinations: unknown[]) =>
    rotationSchema.safeParse({
      name: 'ci-key',
      openrouter: { key: { name: 'ci' } },
      schedule: { intervalDays: 30 },
      destinations,
    });
  const github = {
    type: 'github-actions-secret',
    repository: 'octo/app',
    auth: { token: { env: 'GH_TOKEN' } },
  };

  it('refuses a rotation whose only destinations are write-only, naming the rotation', () => {
    const result = rotation([github]);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(
      /rotation "ci-key" has only write-only destinations.*file, vault/,
    );
    expect(rotation([{ type: 'file', path: '/srv/app/app.env' }, github]).success).toBe(true);
  });

  it('refuses scope mistakes: both or neither of repository and organization, environment without repository', () => {
    const parse = (extra: object) =>
      githubActionsSecretDestinationSchema.safeParse({
        type: 'github-actions-secret',
        auth: github.auth,
        ...extra,
      });
    expect(parse({}).success).toBe(false);
    expect(parse({ repository: 'octo/app', organization: 'octo' }).success).toBe(false);
    expect(parse({ organization: 'octo', environment: 'production' }).success).toBe(false);
    expect(parse({ repository: 'octo/app', visibility: 'all' }).success).toBe(false);
    expect(parse({ organization: 'octo', visibility: 'selected' }).success).toBe(false);
    expect(parse({ repository: 'octo/app', secretName: 'GITHUB_KEY' }).success).toBe(false);
    expect(parse({ organization: 'octo', visibility: 'selected', selectedRepositoryIds: [1] }).success).toBe(
      true,
    );
  });

  it('allows GitHub.com by default and a GitHub Enterprise Server only when the policy lists it', () => {
    const policy = (githubApiUrls?: string[]) =>
      workerPolicyFromRules({
        credentials: { envs: ['GH_TOKEN'], fileRoots: [] },
        destinations: { fileRoots: ['/srv/app'], ...(githubApiUrls ? { githubApiUrls } : {}) },
      });
    const config = (apiUrl?: string) => {
      const parsed = rotation([
        { type: 'file', path: '/srv/app/app.env' },
        { ...github, ...(apiUrl ? { apiUrl } : {}) },
      ]);
      if (!parsed.success) throw parsed.error;
      return parsed.data;
    };
    const refusals = (apiUrl: string | undefined, list?: string[]) =>
      checkRotationAgainstPolicy(config(apiUrl), policy(list), { cwd: '/srv/app' }).map((v) => v.path);

    expect(refusals(undefined)).toEqual([]);
    expect(refusals('https://github.example.com/api/v3')).toEqual(['destinations[1].apiUrl']);
    expect(refusals('https://github.example.com/api/v3', ['https://github.example.com'])).toEqual([]);
    expect(refusals(undefined, ['https://github.example.com'])).toEqual(['destinations[1].apiUrl']);
  });
});

describe('a rotation with a file and a GitHub Actions secret (real workflow, dev server)', () => {
  let h: RotationHarness;
  let github: GithubFake;

  beforeAll(async () => {
    [h, github] = await Promise.all([
      createRotationHarness(),
      startGithubFake({ tokens: [TOKEN], repositories: ['octo/app'] }),
    ]);
    h.workerEnv.GITHUB_TOKEN = TOKEN;
    h.allow({ githubApiUrls: [github.url], credentialEnvs: ['GITHUB_TOKEN'] });
  });
  afterAll(async () => {
    await Promise.all([h?.close(), github?.stop()]);
  });

  async function setUp(name: string, gracePeriod = '1s') {
    const old = await h.adoptKey([`${name}.env`]);
    github.setSecret('repos/octo/app', name.toUpperCase(), old.key, Date.now() - 30 * 86_400_000);
    const rotation = h.rotation(name, {
      gracePeriod,
      destinations: [
        { type: 'file', path: join(h.dir, `${name}.env`) },
        {
          type: 'github-actions-secret',
          apiUrl: github.url,
          repository: 'octo/app',
          secretName: name.toUpperCase(),
          auth: { token: { env: 'GITHUB_TOKEN' } },
        },
      ],
    });
    return { old, rotation };
  }
  const githubValue = (name: string) =>
    github.secrets().find((s) => s.scope === 'repos/octo/app' && s.name === name.toUpperCase())?.value;

  it('takes the old key from the file, stores the new one in GitHub and accepts its write time in verify', async () => {
    const { old, rotation } = await setUp('ghrotate');
    const worker = await h.worker();
    const result = await worker.runUntil(h.startRotation(rotation).then((handle) => handle.result()));

    const newKey = (await h.readKeyFrom('ghrotate.env'))!;
    expect(newKey).not.toBe(old.key);
    expect(githubValue('ghrotate')).toBe(newKey);
    expect(result.destinations.map((d) => d.destination)).toEqual([
      `file:${join(h.dir, 'ghrotate.env')}#OPENROUTER_API_KEY`,
      'github-actions-secret:octo/app#GHROTATE',
    ]);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    expect(github.violations).toEqual([]);
  });

  it('verify accepts a GitHub secret written since the new key was created, and refuses an older write', async () => {
    const { rotation } = await setUp('ghstale');
    const newKey = h.emulator.seedKey({ name: 'ghstale new key', createdAt: new Date() });
    const { verifyDestinations } = createDestinationActivities(
      createDefaultDependencies({
        sealer: new SecretSealer(h.sealingKeyring),
        env: h.workerEnv,
        policy: h.policy,
      }),
    );
    await writeFile(join(h.dir, 'ghstale.env'), `OPENROUTER_API_KEY=${newKey.key}\n`);

    // Last written a month ago (by setUp): it cannot hold a key created now.
    await expect(verifyDestinations(rotation, newKey.hash)).rejects.toThrow(
      /github-actions-secret:octo\/app#GHSTALE was last written .*, before the new key was created/,
    );
    // Written within the clock slack before the key's creation: GitHub's clock may lag.
    github.setSecret('repos/octo/app', 'GHSTALE', newKey.key, Date.now() - 60_000);
    const versions = await verifyDestinations(rotation, newKey.hash);
    expect(versions.map((v) => v.destination)).toContain('github-actions-secret:octo/app#GHSTALE');
  });

  it('fails verify when the GitHub secret vanished after the store step: the file goes back to the old key, the emptied secret is left as found', async () => {
    const { old, rotation } = await setUp('ghvanish', '4s');
    const worker = await h.worker();
    const error = await worker.runUntil(async () => {
      const handle = await h.startRotation(rotation);
      // Someone deletes the secret during the grace period, after the new key was stored.
      await waitFor(async () => githubValue('ghvanish') !== old.key, {
        timeoutMs: 30_000,
        what: 'the GitHub write',
      });
      github.deleteSecret('repos/octo/app', 'GHVANISH');
      return handle.result().catch((e: unknown) => e);
    });

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toContain('rolled back');
    expect(message).toContain('github-actions-secret:octo/app#GHVANISH holds no secret');
    expect(await h.readKeyFrom('ghvanish.env')).toBe(old.key);
    // Restores are compare-and-set (issue 28): the run writes the old key back only where its own
    // new key is; a secret someone deleted holds nothing of this run's, so it is named and left.
    expect(message).toContain('github-actions-secret:octo/app#GHVANISH holds no key and was left so');
    expect(githubValue('ghvanish')).toBeUndefined();
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBeFalsy();
    expect(github.violations).toEqual([]);
  });
});
