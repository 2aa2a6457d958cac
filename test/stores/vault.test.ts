import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VaultDestinationConfig } from '../../src/stores/vault/schema.js';
import {
  ConfigError,
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
} from '../../src/errors/rotator-errors.js';
import type { FetchLike } from '../../src/stores/http-json.js';
import { VaultSecretStore, type VaultStoreDeps } from '../../src/stores/vault/index.js';
import { findFreePort } from '../support/net.js';
import { startOpenBaoServer, type OpenBaoServer } from './openbao-server.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const TOKEN = { idempotencyToken: 'rotation-test-0001-store-00000000000' };

let bao: OpenBaoServer;
let secretCounter = 0;

beforeAll(async () => {
  bao = await startOpenBaoServer();
});
afterAll(async () => {
  await bao?.stop();
});

/** Calls the OpenBao API as an administrator (root token). */
async function admin(
  method: string,
  apiPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const response = await fetch(`${bao.address}/v1/${apiPath}`, {
    method,
    headers: { 'X-Vault-Token': bao.rootToken, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${apiPath}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

async function seed(data: Record<string, string>): Promise<string> {
  const secretPath = `apps/checkout-${++secretCounter}`;
  await admin('POST', `secret/data/${secretPath}`, { data });
  return secretPath;
}

async function secretData(
  secretPath: string,
  namespace?: string,
): Promise<{ data: Record<string, string>; version: number }> {
  const body = (await admin(
    'GET',
    `secret/data/${secretPath}`,
    undefined,
    namespace ? { 'X-Vault-Namespace': namespace } : {},
  )) as {
    data: { data: Record<string, string>; metadata: { version: number } };
  };
  return { data: body.data.data, version: body.data.metadata.version };
}

function tokenStore(
  secretPath: string,
  deps: VaultStoreDeps = {},
  extra: Partial<VaultDestinationConfig> = {},
): VaultSecretStore {
  return new VaultSecretStore(
    {
      type: 'vault',
      address: bao.address,
      mount: 'secret',
      path: secretPath,
      field: 'OPENROUTER_API_KEY',
      auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
      ...extra,
    },
    { env: { VAULT_TOKEN: bao.rootToken }, ...deps },
  );
}

/** A fetch that runs `before` ahead of the first request matching `method`, once. */
function fetchWithHook(method: string, before: () => Promise<void>): FetchLike {
  let done = false;
  return async (input, init) => {
    if (!done && init?.method === method) {
      done = true;
      await before();
    }
    return fetch(input, init);
  };
}

describe('Vault store (token auth) against OpenBao', () => {
  it('writes a new version keeping the other fields, reads it back and restores the old key as another version', async () => {
    const secretPath = await seed({ DATABASE_URL: 'postgres://db', OPENROUTER_API_KEY: OLD_KEY });
    const s = tokenStore(secretPath);
    expect(await s.read()).toEqual({ value: OLD_KEY, version: '1' });

    expect(await s.write(NEW_KEY, TOKEN)).toEqual({ version: '2' });
    expect(await secretData(secretPath)).toEqual({
      data: { DATABASE_URL: 'postgres://db', OPENROUTER_API_KEY: NEW_KEY },
      version: 2,
    });
    expect(await s.read()).toEqual({ value: NEW_KEY, version: '2' });

    expect(await s.restore(OLD_KEY, TOKEN)).toEqual({ version: '3' });
    expect((await secretData(secretPath)).data).toEqual({
      DATABASE_URL: 'postgres://db',
      OPENROUTER_API_KEY: OLD_KEY,
    });
  });

  it('creates a missing secret (check-and-set 0) and reads null before', async () => {
    const s = tokenStore('apps/brand-new');
    expect(await s.read()).toBeNull();
    expect(await s.write(NEW_KEY, TOKEN)).toEqual({ version: '1' });
    expect((await secretData('apps/brand-new')).data).toEqual({ OPENROUTER_API_KEY: NEW_KEY });
  });

  it('repeats a retried write without another version', async () => {
    const secretPath = await seed({ OPENROUTER_API_KEY: OLD_KEY });
    const s = tokenStore(secretPath);
    const first = await s.write(NEW_KEY, TOKEN);
    const second = await s.write(NEW_KEY, TOKEN);
    expect(second).toEqual(first);
    expect((await secretData(secretPath)).version).toBe(2);
  });

  it('reports a concurrent change by someone else as a conflict and keeps their value', async () => {
    const secretPath = await seed({ OPENROUTER_API_KEY: OLD_KEY });
    const theirs = 'sk-or-v1-' + 'c'.repeat(64);
    const s = tokenStore(secretPath, {
      fetch: fetchWithHook('POST', async () => {
        await admin('POST', `secret/data/${secretPath}`, { data: { OPENROUTER_API_KEY: theirs } });
      }),
    });

    const error = await s.write(NEW_KEY, TOKEN).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DestinationConflictError);
    expect((error as DestinationConflictError).retryable).toBe(false);
    expect((await secretData(secretPath)).data.OPENROUTER_API_KEY).toBe(theirs);
  });

  it('treats a check-and-set mismatch that already holds our value as success (an earlier attempt landed)', async () => {
    const secretPath = await seed({ OPENROUTER_API_KEY: OLD_KEY, OTHER: 'x' });
    const s = tokenStore(secretPath, {
      fetch: fetchWithHook('POST', async () => {
        // The "earlier attempt" whose reply was lost.
        await admin('POST', `secret/data/${secretPath}`, {
          data: { OPENROUTER_API_KEY: NEW_KEY, OTHER: 'x' },
        });
      }),
    });

    expect(await s.write(NEW_KEY, TOKEN)).toEqual({ version: '2' });
    expect((await secretData(secretPath)).version).toBe(2);
  });

  it('reports a wrong token as a non-retryable auth error that says what to check', async () => {
    const secretPath = await seed({ OPENROUTER_API_KEY: OLD_KEY });
    const wrongToken = 'hvs.definitely-not-a-valid-token';
    const s = tokenStore(secretPath, { env: { VAULT_TOKEN: wrongToken } });

    const error = await s.write(NEW_KEY, TOKEN).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as DestinationAuthError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/policy grants create, read and update on secret\/data\//);
    expect((error as Error).message).not.toContain(wrongToken);
  });

  it('reports a missing token variable as a config error naming it', async () => {
    const error = await tokenStore('apps/x', { env: {} })
      .read()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/VAULT_TOKEN is not set; it must hold the Vault token/);
  });

  it('reports an unreachable server as retryable', async () => {
    const s = new VaultSecretStore(
      {
        type: 'vault',
        address: `http://127.0.0.1:${await findFreePort()}`,
        mount: 'secret',
        path: 'apps/x',
        field: 'K',
        auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
      },
      { env: { VAULT_TOKEN: 'whatever-token' } },
    );
    const error = await s.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationError);
    expect((error as DestinationError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/could not reach Vault/);
  });

  it('sends the namespace header when a namespace is set', async () => {
    await admin('POST', 'sys/namespaces/team-a', {});
    await admin(
      'POST',
      'sys/mounts/secret',
      { type: 'kv', options: { version: '2' } },
      { 'X-Vault-Namespace': 'team-a' },
    );
    const s = tokenStore('apps/ns', {}, { namespace: 'team-a' });

    await s.write(NEW_KEY, TOKEN);

    expect((await secretData('apps/ns', 'team-a')).data).toEqual({ OPENROUTER_API_KEY: NEW_KEY });
    expect(s.description).toBe('vault:team-a/secret/apps/ns#OPENROUTER_API_KEY');
  });
});

describe('Vault store (AppRole auth) against OpenBao', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stores-vault-'));
    await admin('POST', 'sys/auth/approle', { type: 'approle' });
    await admin('POST', 'sys/policies/acl/rotator', {
      policy: 'path "secret/data/apps/*" { capabilities = ["create", "read", "update"] }',
    });
    await admin('POST', 'auth/approle/role/rotator', { token_policies: ['rotator'], token_ttl: '1h' });
    const roleId = (await admin('GET', 'auth/approle/role/rotator/role-id')) as { data: { role_id: string } };
    const secretId = (await admin('POST', 'auth/approle/role/rotator/secret-id', {})) as {
      data: { secret_id: string };
    };
    await writeFile(path.join(dir, 'role-id'), `${roleId.data.role_id}\n`);
    await writeFile(path.join(dir, 'secret-id'), `${secretId.data.secret_id}\n`);
    await writeFile(path.join(dir, 'wrong-secret-id'), 'not-the-secret-id\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function appRoleStore(
    secretPath: string,
    secretIdFile = 'secret-id',
    fetchFn?: FetchLike,
  ): VaultSecretStore {
    return new VaultSecretStore(
      {
        type: 'vault',
        address: bao.address,
        mount: 'secret',
        path: secretPath,
        field: 'OPENROUTER_API_KEY',
        auth: {
          method: 'approle',
          roleId: { file: 'role-id' },
          secretId: { file: secretIdFile },
          mount: 'approle',
        },
      },
      { cwd: dir, env: {}, ...(fetchFn ? { fetch: fetchFn } : {}) },
    );
  }

  it('logs in with role_id and secret_id from files, then writes and restores', async () => {
    const secretPath = await seed({ OPENROUTER_API_KEY: OLD_KEY });
    const s = appRoleStore(secretPath);
    await s.write(NEW_KEY, TOKEN);
    expect((await s.read())?.value).toBe(NEW_KEY);
    await s.restore(OLD_KEY, TOKEN);
    expect((await secretData(secretPath)).data.OPENROUTER_API_KEY).toBe(OLD_KEY);
  });

  it('logs in again once when its cached token is revoked', async () => {
    const secretPath = await seed({ OPENROUTER_API_KEY: OLD_KEY });
    const logins: string[] = [];
    const s = appRoleStore(secretPath, 'secret-id', async (input, init) => {
      if (input.endsWith('/auth/approle/login')) logins.push(input);
      return fetch(input, init);
    });
    expect((await s.read())?.value).toBe(OLD_KEY);
    expect(logins).toHaveLength(1);
    // Revoke every token AppRole has issued: the cached one now answers 403.
    await admin('PUT', 'sys/leases/revoke-prefix/auth/approle/login', {});

    await s.write(NEW_KEY, TOKEN);
    expect((await secretData(secretPath)).data.OPENROUTER_API_KEY).toBe(NEW_KEY);
    expect(logins).toHaveLength(2);
  });

  it('reports a wrong secret_id as a non-retryable auth error', async () => {
    const error = await appRoleStore('apps/x', 'wrong-secret-id')
      .read()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as DestinationAuthError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/check the role_id and secret_id/);
  });

  it('reports a path outside its policy as a non-retryable auth error', async () => {
    const error = await appRoleStore('other/x')
      .write(NEW_KEY, TOKEN)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as Error).message).toMatch(/secret\/data\/other\/x/);
  });
});
