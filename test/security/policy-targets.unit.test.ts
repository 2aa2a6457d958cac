/**
 * The worker policy's target lists: inside a store the policy allows, which secrets a rotation may
 * touch (Kubernetes Secrets and restart targets, Vault paths, AWS secret ids, GitHub repositories
 * and organisations, Infisical folders, Vercel projects). A refusal names the field, the target and
 * the list; a version 2 policy allows nothing it does not list, a version 1 policy anything (and
 * says so); targets that a URL parser would turn into another path are refused by the config.
 */
import { describe, expect, it } from 'vitest';
import { rotationSchema, type RotationConfig } from '../../src/config/schema.js';
import {
  assertRotationAllowed,
  checkRotationAgainstPolicy,
  describeWorkerPolicy,
  parseWorkerPolicy,
} from '../../src/policy/index.js';
import { policyFor, type PolicyAllowances } from '../support/worker-policy.js';

const STORES: PolicyAllowances = {
  baseUrls: ['https://openrouter.ai/api/v1'],
  managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
  credentialEnvs: ['STORE_*'],
  credentialFileRoots: ['/run/secrets'],
  vaultAddresses: ['https://vault.example.com'],
  infisicalSiteUrls: ['https://app.infisical.com'],
  githubApiUrls: ['https://api.github.com'],
  vercelApiUrls: ['https://api.vercel.com'],
  kubernetesApiServers: ['https://k8s.example.com'],
  fileRoots: ['/srv/keys'],
};

/** A rotation of `destinations` and, after them, an allowed file (a rotation needs one it can read back). */
function rotation(destinations: unknown[]): RotationConfig {
  return rotationSchema.parse({
    name: 'targets',
    openrouter: { key: { name: 'targets' } },
    schedule: { intervalDays: 30 },
    destinations: [...destinations, { type: 'file', path: '/srv/keys/app.env' }],
  });
}

const kubernetes = (namespace: string, name: string, restart: { kind: string; name: string }[] = []) => ({
  type: 'kubernetes-secret',
  namespace,
  name,
  key: 'OPENROUTER_API_KEY',
  auth: {
    method: 'kubeconfig',
    kubeconfig: { file: '/run/secrets/kubeconfig' },
    server: 'https://k8s.example.com',
  },
  restart,
});
const vault = (path: string, extra: Record<string, unknown> = {}) => ({
  type: 'vault',
  address: 'https://vault.example.com',
  path,
  auth: { method: 'token', token: { env: 'STORE_VAULT_TOKEN' } },
  ...extra,
});
const aws = (secretId: string) => ({ type: 'aws-secrets-manager', secretId, region: 'eu-west-1' });
const github = (where: Record<string, string>) => ({
  type: 'github-actions-secret',
  ...where,
  auth: { token: { env: 'STORE_GITHUB_TOKEN' } },
});
const infisical = (secretPath: string) => ({
  type: 'infisical',
  projectId: 'proj-1',
  environment: 'prod',
  secretPath,
  auth: { clientId: { env: 'STORE_ID' }, clientSecret: { env: 'STORE_SECRET' } },
});
const vercel = (project: string, teamId?: string) => ({
  type: 'vercel-env',
  project,
  ...(teamId ? { teamId } : {}),
  auth: { token: { env: 'STORE_VERCEL_TOKEN' } },
});

/** What `allow` (version 2, with the stores above) refuses in `destination`, as `field: message`. */
function refusals(allow: PolicyAllowances, destination: unknown): string[] {
  return checkRotationAgainstPolicy(
    rotation([destination]),
    policyFor({ ...STORES, version: 2, ...allow }),
  ).map((v) => `${v.path}: ${v.message}`);
}

describe('target lists in a version 2 policy', () => {
  it('Kubernetes: a Secret in another namespace and a workload not listed are refused, naming the target and the list', () => {
    const allow = { kubernetesSecrets: ['apps/*'], kubernetesRestartTargets: ['apps/Deployment/checkout'] };
    expect(
      refusals(allow, kubernetes('apps', 'openrouter', [{ kind: 'Deployment', name: 'checkout' }])),
    ).toEqual([]);
    expect(refusals(allow, kubernetes('payments', 'db'))).toEqual([
      "destinations[0].name: Kubernetes Secret payments/db is not in the worker policy's destinations.kubernetesSecrets (allowed: apps/*)",
    ]);
    expect(
      refusals(allow, kubernetes('apps', 'openrouter', [{ kind: 'StatefulSet', name: 'checkout' }])),
    ).toEqual([
      "destinations[0].restart[0]: Kubernetes StatefulSet apps/StatefulSet/checkout is not in the worker policy's destinations.kubernetesRestartTargets (allowed: apps/Deployment/checkout)",
    ]);
  });

  it('Vault: the KV v2 data path as an ACL policy names it, namespace included', () => {
    const allow = { vaultSecrets: ['secret/data/apps/*', 'team-a/kv/data/openrouter'] };
    expect(refusals(allow, vault('apps/checkout'))).toEqual([]);
    expect(refusals(allow, vault('/apps/checkout/'))).toEqual([]);
    expect(refusals(allow, vault('openrouter', { mount: 'kv', namespace: 'team-a' }))).toEqual([]);
    expect(refusals(allow, vault('teams/payments/db'))).toEqual([
      "destinations[0].path: Vault secret secret/data/teams/payments/db is not in the worker policy's destinations.vaultSecrets (allowed: secret/data/apps/*, team-a/kv/data/openrouter)",
    ]);
    // Another mount that would make the same label is another path.
    expect(refusals(allow, vault('checkout', { mount: 'secret/apps' }))).toHaveLength(1);
    expect(refusals(allow, vault('openrouter', { mount: 'kv' }))).toHaveLength(1);
  });

  it('AWS: the secret id as written, name or ARN prefix', () => {
    const allow = {
      awsSecretIds: ['prod/openrouter/*', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/*'],
    };
    expect(refusals(allow, aws('prod/openrouter/checkout'))).toEqual([]);
    expect(
      refusals(allow, aws('arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/key-AbCdEf')),
    ).toEqual([]);
    expect(refusals(allow, aws('prod/payments/db'))).toEqual([
      expect.stringMatching(
        /^destinations\[0\]\.secretId: AWS secret prod\/payments\/db is not in the worker policy's destinations\.awsSecretIds/,
      ),
    ]);
    expect(
      refusals(allow, aws('arn:aws:secretsmanager:eu-west-1:999999999999:secret:shared/key')),
    ).toHaveLength(1);
  });

  it('GitHub: repositories and organisations, compared without case as GitHub does', () => {
    const allow = { githubRepositories: ['acme/checkout', 'acme-labs/*'], githubOrganizations: ['acme'] };
    expect(refusals(allow, github({ repository: 'Acme/Checkout' }))).toEqual([]);
    expect(refusals(allow, github({ repository: 'acme-labs/anything', environment: 'prod' }))).toEqual([]);
    expect(refusals(allow, github({ organization: 'ACME' }))).toEqual([]);
    expect(refusals(allow, github({ repository: 'acme/payments' }))).toEqual([
      "destinations[0].repository: GitHub repository acme/payments is not in the worker policy's destinations.githubRepositories (allowed: acme/checkout, acme-labs/*)",
    ]);
    expect(refusals(allow, github({ organization: 'other' }))).toEqual([
      "destinations[0].organization: GitHub organisation other is not in the worker policy's destinations.githubOrganizations (allowed: acme)",
    ]);
  });

  it('Infisical folders and Vercel projects', () => {
    expect(refusals({ infisicalSecrets: ['proj-1/prod/apps/*'] }, infisical('/apps/checkout'))).toEqual([]);
    expect(refusals({ infisicalSecrets: ['proj-1/prod/'] }, infisical('/'))).toEqual([]);
    expect(refusals({ infisicalSecrets: ['proj-1/prod/apps/*'] }, infisical('/'))).toEqual([
      "destinations[0].secretPath: Infisical folder proj-1/prod/ is not in the worker policy's destinations.infisicalSecrets (allowed: proj-1/prod/apps/*)",
    ]);
    expect(refusals({ vercelProjects: ['team_abc/checkout'] }, vercel('checkout', 'team_abc'))).toEqual([]);
    expect(refusals({ vercelProjects: ['team_abc/checkout'] }, vercel('checkout'))).toEqual([
      "destinations[0].project: Vercel project checkout is not in the worker policy's destinations.vercelProjects (allowed: team_abc/checkout)",
    ]);
  });

  it('a list left out allows nothing, and the refusal says none is allowed', () => {
    expect(refusals({}, vault('apps/checkout'))).toEqual([
      "destinations[0].path: Vault secret secret/data/apps/checkout is not in the worker policy's destinations.vaultSecrets (allowed: none)",
    ]);
    expect(refusals({}, aws('prod/openrouter'))).toHaveLength(1);
  });

  it('the worker refuses with one message naming the policy, the rotation, the field, the target and the list', () => {
    const policy = policyFor({ ...STORES, version: 2, kubernetesSecrets: ['apps/*'] });
    expect(() => assertRotationAllowed(rotation([kubernetes('payments', 'db')]), policy)).toThrow(
      'the test worker policy refuses rotation "targets": destinations[0].name: Kubernetes Secret payments/db ' +
        "is not in the worker policy's destinations.kubernetesSecrets (allowed: apps/*)",
    );
  });
});

describe('policy versions', () => {
  it('version 1: a target list left out allows any target, and the start-up line names it', () => {
    const policy = parseWorkerPolicy(
      'version: 1\ndestinations:\n  vaultSecrets: [secret/data/apps/*]\n',
      '/etc/p.yaml',
    );
    expect(policy.destinations.vaultSecrets).toEqual(['secret/data/apps/*']);
    expect(policy.destinations.kubernetesSecrets).toEqual(['*']);
    expect(policy.openTargetLists).not.toContain('vaultSecrets');
    expect(describeWorkerPolicy(policy)).toMatch(
      /^worker policy: \/etc\/p\.yaml; version 1: any secret in an allowed store \(destinations\.kubernetesSecrets, .*not set; version 2 allows only what they list\)$/,
    );
  });

  it('version 2: a target list left out allows nothing, and the start-up line names only the file', () => {
    const policy = parseWorkerPolicy('version: 2\n', '/etc/p.yaml');
    expect(policy.destinations.kubernetesSecrets).toEqual([]);
    expect(policy.openTargetLists).toEqual([]);
    expect(describeWorkerPolicy(policy)).toBe('worker policy: /etc/p.yaml');
  });

  it('refuses a pattern with * anywhere but at the end, naming the field', () => {
    expect(() =>
      parseWorkerPolicy('version: 2\ndestinations:\n  vaultSecrets: ["secret/*/apps"]\n', '/etc/p.yaml'),
    ).toThrow(/destinations\.vaultSecrets\[0\] \(line 3:18\): expected \* only at the end/);
    expect(() => parseWorkerPolicy('version: 3\n', '/etc/p.yaml')).toThrow(/version/);
  });
});

describe('targets that would reach another path are refused by the config', () => {
  it.each([
    ['a Vault path with ..', vault('apps/../../sys/raw'), /destinations\.0\.path|destinations\[0\]\.path/],
    ['a Vault mount with .', vault('x', { mount: 'secret/./apps' }), /mount/],
    ['a GitHub repository named ..', github({ repository: 'acme/..' }), /repository/],
    ['a GitHub environment named ..', github({ repository: 'acme/app', environment: '..' }), /environment/],
    ['an Infisical path with ..', infisical('/apps/../../x'), /secretPath/],
    ['an Infisical secret name ..', { ...infisical('/'), secretName: '..' }, /secretName/],
    ['a Vercel project %2e%2e', vercel('%2e%2e'), /project/],
    ['a Vercel team with /', vercel('web', 'team/other'), /teamId/],
  ])('%s', (_title, destination, field) => {
    const result = rotationSchema.safeParse({
      name: 'targets',
      openrouter: { key: { name: 'targets' } },
      schedule: { intervalDays: 30 },
      destinations: [destination],
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues.map((i) => i.path.join('.')))).toMatch(field);
  });
});
