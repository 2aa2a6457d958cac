import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InfisicalDestinationConfig } from '../../src/stores/infisical/schema.js';
import {
  ConfigError,
  DestinationApprovalPendingError,
  DestinationAuthError,
  DestinationError,
} from '../../src/errors/rotator-errors.js';
import { InfisicalSecretStore, type InfisicalStoreDeps } from '../../src/stores/infisical/index.js';
import { startInfisicalFake, type InfisicalFake } from './infisical-fake.js';
import { findFreePort } from '../support/net.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const TOKEN = { idempotencyToken: 'rotation-test-0001-store-00000000000' };
const PROJECT = 'proj-checkout';
const CLIENT_ID = 'identity-client-id-0001';
const CLIENT_SECRET = 'identity-client-secret-0001';

let clock = Date.parse('2026-06-01T00:00:00Z');
const now = () => clock;
let fake: InfisicalFake;
let nameCounter = 0;

beforeAll(async () => {
  fake = await startInfisicalFake({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    projects: { [PROJECT]: ['dev', 'prod'] },
    folders: ['/apps/checkout'],
    accessTokenTTL: 600,
    accessTokenMaxTTL: 1800,
    now,
  });
});
afterAll(async () => {
  await fake?.stop();
});
afterEach(() => {
  fake.requireApproval = false;
  fake.readOnly = false;
});

function store(
  overrides: Partial<InfisicalDestinationConfig> = {},
  deps: InfisicalStoreDeps = {},
): { s: InfisicalSecretStore; name: string; path: string } {
  const name = `OPENROUTER_API_KEY_${++nameCounter}`;
  const config: InfisicalDestinationConfig = {
    type: 'infisical',
    siteUrl: fake.siteUrl,
    projectId: PROJECT,
    environment: 'prod',
    secretPath: '/apps/checkout',
    secretName: name,
    auth: { clientId: { env: 'INFISICAL_CLIENT_ID' }, clientSecret: { env: 'INFISICAL_CLIENT_SECRET' } },
    ...overrides,
  };
  const s = new InfisicalSecretStore(config, {
    env: { INFISICAL_CLIENT_ID: CLIENT_ID, INFISICAL_CLIENT_SECRET: CLIENT_SECRET },
    now,
    ...deps,
  });
  return { s, name: config.secretName, path: config.secretPath };
}

const logins = () => fake.requests.filter((r) => r.path === '/api/v1/auth/universal-auth/login').length;
const renewals = () => fake.requests.filter((r) => r.path === '/api/v1/auth/token/renew').length;

describe('Infisical store against the in-repo fake', () => {
  it('updates the secret as a new version, reads it back and restores the old key', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    expect(await s.read()).toEqual({ value: OLD_KEY, version: '1' });

    expect(await s.write(NEW_KEY, TOKEN)).toEqual({ version: '2' });
    expect(fake.getSecret(PROJECT, 'prod', path, name)).toEqual({ value: NEW_KEY, version: 2 });

    expect(await s.restore(OLD_KEY, TOKEN)).toEqual({ version: '3' });
    expect(fake.getSecret(PROJECT, 'prod', path, name)?.value).toBe(OLD_KEY);
  });

  it('creates the secret when it does not exist yet', async () => {
    const { s, name, path } = store();
    expect(await s.read()).toBeNull();
    await s.write(NEW_KEY, TOKEN);
    expect(fake.getSecret(PROJECT, 'prod', path, name)).toEqual({ value: NEW_KEY, version: 1 });
  });

  it('repeats a retried write without another version', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    const first = await s.write(NEW_KEY, TOKEN);
    const second = await s.write(NEW_KEY, TOKEN);
    expect(second).toEqual(first);
    expect(fake.getSecret(PROJECT, 'prod', path, name)?.version).toBe(2);
  });

  it('reports a write held for approval as pending, not success, and the old key stays', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    fake.requireApproval = true;

    const error = await s.write(NEW_KEY, TOKEN).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DestinationApprovalPendingError);
    expect((error as DestinationApprovalPendingError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/awaits approval.*old key is kept/);
    expect((error as Error).message).toContain(fake.approvals.at(-1)?.slug);
    expect(fake.getSecret(PROJECT, 'prod', path, name)).toEqual({ value: OLD_KEY, version: 1 });
  });

  it('refuses values Infisical would trim instead of storing something else', async () => {
    const { s, name, path } = store();
    const error = await s.write(` ${NEW_KEY}\n`, TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect(fake.getSecret(PROJECT, 'prod', path, name)).toBeUndefined();
  });

  it('reports wrong client credentials as a non-retryable auth error that says what to check', async () => {
    const { s } = store(
      {},
      { env: { INFISICAL_CLIENT_ID: CLIENT_ID, INFISICAL_CLIENT_SECRET: 'wrong-secret-value' } },
    );
    const error = await s.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as DestinationAuthError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/check the machine identity clientId and clientSecret/);
    expect((error as Error).message).not.toContain('wrong-secret-value');
  });

  it('reports missing write permission as a non-retryable auth error naming the scope', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    fake.readOnly = true;
    const error = await s.write(NEW_KEY, TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as Error).message).toMatch(/environment "prod", path "\/apps\/checkout"/);
  });

  it('reports a missing folder or environment as a non-retryable config problem', async () => {
    const { s } = store({ environment: 'staging' });
    const error = await s.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/check projectId, environment and secretPath/);
  });

  it('reports a missing credential variable as a config error', async () => {
    const { s } = store({}, { env: {} });
    await expect(s.read()).rejects.toBeInstanceOf(ConfigError);
  });

  it('caches its access token, renews it before expiry and logs in again after the max TTL', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    const [loginsBefore, renewalsBefore] = [logins(), renewals()];

    await s.read();
    await s.read();
    expect([logins() - loginsBefore, renewals() - renewalsBefore]).toEqual([1, 0]);

    clock += 590_000; // 10 s before the 600 s token expires: renew
    await s.read();
    expect([logins() - loginsBefore, renewals() - renewalsBefore]).toEqual([1, 1]);

    clock += 1_300_000; // past the 1800 s max TTL: a fresh login
    await s.read();
    expect(logins() - loginsBefore).toBe(2);
  });

  it('logs in again once when its token is revoked', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    await s.read();
    const loginsBefore = logins();
    fake.revokeAllTokens();

    await s.write(NEW_KEY, TOKEN);

    expect(logins() - loginsBefore).toBe(1);
    expect(fake.getSecret(PROJECT, 'prod', path, name)?.value).toBe(NEW_KEY);
  });

  it('reports 5xx and an unreachable server as retryable', async () => {
    const { s, name, path } = store();
    fake.setSecret(PROJECT, 'prod', path, name, OLD_KEY);
    await s.read();
    fake.failNext(503);
    const serverError = await s.read().catch((e: unknown) => e);
    expect(serverError).toBeInstanceOf(DestinationError);
    expect((serverError as DestinationError).retryable).toBe(true);

    const { s: down } = store({ siteUrl: `http://127.0.0.1:${await findFreePort()}` });
    const downError = await down.read().catch((e: unknown) => e);
    expect(downError).toBeInstanceOf(DestinationError);
    expect((downError as DestinationError).retryable).toBe(true);
    expect((downError as Error).message).toMatch(/could not reach Infisical/);
  });

  it('describes itself without secrets', () => {
    const { s, name } = store();
    expect(s.description).toBe(`infisical:${PROJECT}/prod/apps/checkout/#${name}`);
  });
});
