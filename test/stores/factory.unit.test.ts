import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationConfig } from '../../src/stores/destination-schemas.js';
import { resolveSecretRef } from '../../src/fields/secret-ref.js';
import { ConfigError } from '../../src/errors/rotator-errors.js';
import { redact } from '../../src/errors/redact.js';
import {
  AwsSecretsManagerStore,
  createSecretStore,
  destinationLabel,
  FileSecretStore,
  InfisicalSecretStore,
  VaultSecretStore,
} from '../../src/stores/index.js';

const destinations: { config: DestinationConfig; description: string; type: unknown }[] = [
  {
    config: { type: 'file', path: 'conf/app.env', format: 'dotenv', field: 'OPENROUTER_API_KEY' },
    description: 'file:/srv/app/conf/app.env#OPENROUTER_API_KEY',
    type: FileSecretStore,
  },
  {
    config: { type: 'aws-secrets-manager', secretId: 'my-secret', region: 'eu-west-1' },
    description: 'aws-secrets-manager:my-secret',
    type: AwsSecretsManagerStore,
  },
  {
    config: {
      type: 'vault',
      address: 'https://vault.example.com:8200',
      mount: 'secret',
      path: 'apps/x',
      field: 'FIELD',
      auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
    },
    description: 'vault:secret/apps/x#FIELD',
    type: VaultSecretStore,
  },
  {
    config: {
      type: 'infisical',
      siteUrl: 'https://app.infisical.com',
      projectId: 'proj',
      environment: 'prod',
      secretPath: '/',
      secretName: 'NAME',
      auth: { clientId: { env: 'ID' }, clientSecret: { file: '/run/secrets/infisical' } },
    },
    description: 'infisical:proj/prod/#NAME',
    type: InfisicalSecretStore,
  },
];

describe('createSecretStore', () => {
  it.each(destinations)(
    'builds the $config.type store and names it $description',
    ({ config, description, type }) => {
      // No credentials are needed to build a store: they are read at the first request.
      const store = createSecretStore(config, { env: {}, cwd: '/srv/app' });
      expect(store).toBeInstanceOf(type);
      expect(store.description).toBe(description);
      expect(destinationLabel(config, { cwd: '/srv/app' })).toBe(description);
    },
  );
});

describe('resolveSecretRef', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'secret-ref-'));
    await writeFile(path.join(dir, 'token'), 'file-held-token-value\n');
    await writeFile(path.join(dir, 'empty'), '\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an environment variable and registers it for redaction', () => {
    const value = resolveSecretRef({ env: 'MY_TOKEN' }, 'the Vault token', {
      env: { MY_TOKEN: 'env-held-token-value' },
    });
    expect(value).toBe('env-held-token-value');
    expect(redact('token=env-held-token-value')).toBe('token=[redacted]');
  });

  it('reads a file relative to cwd without its trailing newline', () => {
    expect(resolveSecretRef({ file: 'token' }, 'the Vault token', { cwd: dir })).toBe(
      'file-held-token-value',
    );
    expect(redact('file-held-token-value')).toBe('[redacted]');
  });

  it('names the variable or file and what it was for when missing or empty', () => {
    expect(() => resolveSecretRef({ env: 'NOPE' }, 'the Infisical clientId', { env: {} })).toThrow(
      new ConfigError('environment variable NOPE is not set; it must hold the Infisical clientId'),
    );
    expect(() => resolveSecretRef({ env: 'BLANK' }, 'the token', { env: { BLANK: ' ' } })).toThrow(
      /BLANK is empty/,
    );
    expect(() => resolveSecretRef({ file: 'missing' }, 'the token', { cwd: dir })).toThrow(
      `file ${path.join(dir, 'missing')} does not exist; it must hold the token`,
    );
    expect(() => resolveSecretRef({ file: 'empty' }, 'the token', { cwd: dir })).toThrow(/is empty/);
  });
});
