/**
 * The destination registry: every destination the config schema accepts has a store, one label
 * (the same in activity messages and the CLI), and policy hooks that name every URL it sends
 * credentials to and every credential it reads, so the worker policy checks them all.
 */
import { describe, expect, it } from 'vitest';
import { destinationLabel as cliLabel } from '../../src/client/rotations/destination-label.js';
import type { RotationConfig } from '../../src/config/schema.js';
import { destinationSchema, type DestinationConfig } from '../../src/stores/destination-schemas.js';
import { checkRotationAgainstPolicy, workerPolicyFromRules } from '../../src/policy/index.js';
import { createSecretStore, destinationLabel, findDestination } from '../../src/stores/index.js';

/** One config per destination type, every optional field that names a URL or a credential set. */
const samples: Record<string, { config: DestinationConfig; label: string }> = {
  file: {
    config: { type: 'file', path: '/srv/app/app.env', format: 'dotenv', field: 'OPENROUTER_API_KEY' },
    label: 'file:/srv/app/app.env#OPENROUTER_API_KEY',
  },
  'aws-secrets-manager': {
    config: {
      type: 'aws-secrets-manager',
      secretId: 'apps/checkout',
      region: 'eu-west-1',
      endpoint: 'https://secretsmanager.internal.example.com',
      jsonField: 'OPENROUTER_API_KEY',
    },
    label: 'aws-secrets-manager:apps/checkout#OPENROUTER_API_KEY',
  },
  'aws-ssm-parameter': {
    config: {
      type: 'aws-ssm-parameter',
      name: '/apps/checkout/OPENROUTER_API_KEY',
      region: 'eu-west-1',
      endpoint: 'https://ssm.internal.example.com',
      kmsKeyId: 'alias/key-rotator',
      label: 'current',
    },
    label: 'aws-ssm-parameter:/apps/checkout/OPENROUTER_API_KEY',
  },
  'gcp-secret-manager': {
    config: {
      type: 'gcp-secret-manager',
      project: 'acme-prod',
      secret: 'openrouter-api-key',
      versionAlias: 'current',
      destroyPrevious: false,
      credentials: { file: '/run/gcp/key.json' },
      endpoint: 'https://secretmanager.internal.example.com',
    },
    label: 'gcp-secret-manager:projects/acme-prod/secrets/openrouter-api-key',
  },
  'azure-key-vault': {
    config: {
      type: 'azure-key-vault',
      vaultUrl: 'https://acme-prod.vault.azure.net',
      secret: 'openrouter-api-key',
      contentType: 'text/plain',
      setExpiry: true,
      credentials: {
        method: 'client-secret',
        tenantId: 'contoso.onmicrosoft.com',
        clientId: '00000000-0000-4000-8000-000000000001',
        clientSecret: { env: 'AZURE_ROTATOR_SECRET' },
      },
      authorityHost: 'https://login.microsoftonline.us',
    },
    label: 'azure-key-vault:acme-prod/openrouter-api-key',
  },
  vault: {
    config: {
      type: 'vault',
      address: 'https://vault.example.com:8200',
      mount: 'secret',
      path: 'apps/checkout',
      field: 'OPENROUTER_API_KEY',
      namespace: 'team-a',
      auth: {
        method: 'approle',
        roleId: { env: 'VAULT_ROLE_ID' },
        secretId: { file: '/run/vault/secret-id' },
        mount: 'approle',
      },
    },
    label: 'vault:team-a/secret/apps/checkout#OPENROUTER_API_KEY',
  },
  infisical: {
    config: {
      type: 'infisical',
      siteUrl: 'https://infisical.example.com',
      projectId: 'proj',
      environment: 'prod',
      secretPath: '/apps',
      secretName: 'OPENROUTER_API_KEY',
      auth: { clientId: { env: 'INFISICAL_CLIENT_ID' }, clientSecret: { file: '/run/infisical/secret' } },
    },
    label: 'infisical:proj/prod/apps/#OPENROUTER_API_KEY',
  },
  'github-actions-secret': {
    config: {
      type: 'github-actions-secret',
      apiUrl: 'https://github.example.com/api/v3',
      organization: 'octo',
      visibility: 'selected',
      selectedRepositoryIds: [1296269],
      secretName: 'OPENROUTER_API_KEY',
      auth: { app: { appId: '42', installationId: '7', privateKey: { file: '/run/github/app.pem' } } },
    },
    label: 'github-actions-secret:orgs/octo#OPENROUTER_API_KEY',
  },
  'vercel-env': {
    config: {
      type: 'vercel-env',
      apiUrl: 'https://vercel-gateway.example.com',
      project: 'web',
      teamId: 'team_acme',
      key: 'OPENROUTER_API_KEY',
      targets: ['production', 'preview'],
      variableType: 'sensitive',
      redeploy: true,
      auth: { token: { env: 'VERCEL_TOKEN' } },
    },
    label: 'vercel-env:team_acme/web/production+preview#OPENROUTER_API_KEY',
  },
  'kubernetes-secret': {
    config: {
      type: 'kubernetes-secret',
      namespace: 'checkout',
      name: 'openrouter',
      key: 'OPENROUTER_API_KEY',
      auth: {
        method: 'kubeconfig',
        kubeconfig: { file: '/run/kube/config' },
        context: 'prod',
        server: 'https://k8s.example.com:6443',
      },
      restart: [{ kind: 'Deployment', name: 'checkout' }],
      waitForRollout: true,
    },
    label: 'kubernetes-secret:k8s.example.com:6443/checkout/openrouter#OPENROUTER_API_KEY',
  },
};

const schemaTypes = destinationSchema.options.map((option) => option.shape.type.value);

/** Paths of every `{env}` / `{file}` credential reference inside `value`. */
function credentialRefPaths(value: unknown, at = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries = Object.entries(value);
  if (entries.length === 1 && (entries[0]![0] === 'env' || entries[0]![0] === 'file')) return [at];
  return entries.flatMap(([key, child]) => credentialRefPaths(child, at === '' ? key : `${at}.${key}`));
}

/** Paths of every string inside `value` that is an http(s) URL. */
function urlPaths(value: unknown, at = ''): string[] {
  if (typeof value === 'string') return /^https?:\/\//.test(value) ? [at] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => urlPaths(child, at === '' ? key : `${at}.${key}`));
}

function rotationWith(destination: DestinationConfig): RotationConfig {
  return {
    name: 'registry-check',
    description: '',
    openrouter: {
      managementKeyEnv: 'OPENROUTER_MANAGEMENT_KEY',
      baseUrl: 'https://openrouter.ai/api/v1',
      key: {
        name: 'registry-check',
        limit: null,
        limitReset: null,
        includeByokInLimit: false,
        expiresAfter: 'none',
      },
    },
    schedule: { intervalDays: 30, rotateAt: '03:00', timezone: 'UTC', enabled: true },
    gracePeriod: '24h',
    verify: { newKeyWindow: '2m', requireTrafficMoved: false, trafficHoldTimeout: '24h' },
    destinations: [destination],
  };
}

describe('the destination registry', () => {
  it('has a destination for every type the config schema accepts, and a sample here for each', () => {
    expect(schemaTypes.length).toBeGreaterThan(0);
    for (const type of schemaTypes) {
      expect(findDestination(type), `registry entry for ${type}`).toBeDefined();
      expect(samples[type], `a sample ${type} config in this test`).toBeDefined();
    }
    expect(findDestination('toString')).toBeUndefined();
  });

  it.each(schemaTypes)('%s: the CLI, the store and the registry give the same label', (type) => {
    const { config, label } = samples[type]!;
    expect(destinationSchema.parse(config)).toEqual(config);
    expect(createSecretStore(config, { env: {}, cwd: '/elsewhere' }).description).toBe(label);
    expect(destinationLabel(config)).toBe(label);
    expect(cliLabel(config)).toBe(label);
  });

  it.each(schemaTypes)(
    '%s: the policy hooks name every credential reference and URL in the config',
    (type) => {
      const { config } = samples[type]!;
      const destination = findDestination(type)!;
      expect(
        destination
          .credentialRefs(config)
          .map((c) => c.field)
          .sort(),
      ).toEqual(credentialRefPaths(config).sort());
      expect(
        destination
          .outboundUrls(config)
          .map((u) => u.field)
          .sort(),
      ).toEqual(urlPaths(config).sort());
    },
  );

  it.each(schemaTypes)('%s: a policy that allows nothing refuses every field the hooks name', (type) => {
    const { config } = samples[type]!;
    const destination = findDestination(type)!;
    const nothingAllowed = workerPolicyFromRules({
      // Version 2: the target lists left out allow nothing too.
      version: 2,
      credentials: { envs: [], fileRoots: [] },
      destinations: {
        fileRoots: [],
        vaultAddresses: [],
        infisicalSiteUrls: [],
        awsEndpoints: [],
        githubApiUrls: [],
        vercelApiUrls: [],
      },
    });
    const refused = checkRotationAgainstPolicy(rotationWith(config), nothingAllowed, { cwd: '/srv/app' })
      .map((v) => v.path)
      .filter((p) => p.startsWith('destinations[0].'));
    const expected = [
      ...destination.writtenPaths(config).map((w) => w.field),
      ...destination.outboundUrls(config).map((u) => u.field),
      ...destination
        .credentialRefs(config)
        .map((c) => `${c.field}.${c.ref.env !== undefined ? 'env' : 'file'}`),
      ...destination.targets(config).map((t) => t.field),
    ].map((field) => `destinations[0].${field}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(refused.sort()).toEqual(expected.sort());
  });

  it.each(schemaTypes.filter((type) => type !== 'file'))(
    '%s: the policy hooks name the secret it touches, for a worker policy target list',
    (type) => {
      const { config } = samples[type]!;
      const targets = findDestination(type)!.targets(config);
      expect(targets.length).toBeGreaterThan(0);
      for (const { target } of targets) expect(target).not.toBe('');
    },
  );

  it('resolves a relative file path from the worker folder in the store, and shows it as written in the CLI', () => {
    const config: DestinationConfig = { type: 'file', path: 'conf/app.env', format: 'dotenv', field: 'KEY' };
    expect(createSecretStore(config, { cwd: '/srv/app' }).description).toBe('file:/srv/app/conf/app.env#KEY');
    expect(cliLabel(config)).toBe('file:conf/app.env#KEY');
  });
});
