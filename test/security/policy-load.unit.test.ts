/**
 * The worker policy as its operator writes it: a bad file is refused with the file, the field and
 * what was expected; names of the worker's own secrets and plain-http hosts are refused whatever
 * the file says; a worker without a file runs the narrow default policy. And the checks a rotation
 * goes through: URLs, variables, credential files and file destinations, symbolic links resolved.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigFileError } from '../../src/config-files/config-file-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import { rotationSchema, type RotationConfig } from '../../src/config/schema.js';
import {
  checkRotationAgainstPolicy,
  defaultWorkerPolicy,
  describeWorkerPolicy,
  loadWorkerPolicy,
  loadWorkerPolicyFile,
  parseWorkerPolicy,
} from '../../src/policy/index.js';
import { policyFor } from '../support/worker-policy.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'security-policy-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The ConfigFileError `call` throws (fails the test on anything else). */
function refusal(call: () => unknown): ConfigFileError {
  try {
    call();
  } catch (err) {
    if (err instanceof ConfigFileError) return err;
    throw err;
  }
  throw new Error('expected a ConfigFileError, nothing was thrown');
}

function rotation(overrides: Record<string, unknown> = {}): RotationConfig {
  return rotationSchema.parse({
    name: 'policy-check',
    openrouter: { key: { name: 'policy-check' } },
    schedule: { intervalDays: 30 },
    destinations: [{ type: 'file', path: path.join(dir, 'secrets', 'app.env') }],
    ...overrides,
  });
}

describe('loading a worker policy file', () => {
  it('reads a complete policy, normalising URLs to the form they are compared in', () => {
    const policy = parseWorkerPolicy(
      `version: 1
openrouter:
  baseUrls: [https://OpenRouter.ai:443/api/v1/, http://127.0.0.1:8787/api/v1]
  managementKeyEnvs: [OPENROUTER_MANAGEMENT_KEY, TEAM_B_MANAGEMENT_KEY]
credentials:
  envs: [VAULT_TOKEN, INFISICAL_*]
  fileRoots: [/run/secrets]
destinations:
  fileRoots: [/var/lib/app-secrets]
  vaultAddresses: [https://vault.example.com:8200/]
  infisicalSiteUrls: []
  awsEndpoints: [http://localhost:4566]
`,
      '/etc/key-rotator/policy.yaml',
    );
    expect(policy.openrouter.baseUrls).toEqual([
      'https://openrouter.ai/api/v1',
      'http://127.0.0.1:8787/api/v1',
    ]);
    expect(policy.destinations.vaultAddresses).toEqual(['https://vault.example.com:8200']);
    expect(policy.destinations.infisicalSiteUrls).toEqual([]);
    expect(policy.file).toBe('/etc/key-rotator/policy.yaml');
    expect(describeWorkerPolicy(policy)).toBe(
      'worker policy: /etc/key-rotator/policy.yaml; version 1: any secret in an allowed store ' +
        '(destinations.kubernetesSecrets, destinations.kubernetesRestartTargets, destinations.vaultSecrets, ' +
        'destinations.awsSecretIds, destinations.githubRepositories, destinations.githubOrganizations, ' +
        'destinations.infisicalSecrets, destinations.vercelProjects, destinations.ssmParameters, destinations.gcpSecrets, destinations.azureSecrets not set; version 2 allows only what they list)',
    );
  });

  it('names the file, the field, the line and what was expected', () => {
    const error = refusal(() =>
      parseWorkerPolicy(
        'version: 1\nopenrouter:\n  baseUrls: [https://openrouter.ai/api/v1]\n  managementKeyEnv: [X]\n',
        '/etc/policy.yaml',
      ),
    );
    expect(error.message).toMatch(/^\/etc\/policy\.yaml: 1 problem\n/);
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'openrouter.managementKeyEnv',
        line: 4,
        message: 'unknown field "managementKeyEnv"; did you mean "managementKeyEnvs"?',
      }),
    ]);
  });

  it('refuses a policy file that does not exist, naming it', async () => {
    const missing = path.join(dir, 'nope.yaml');
    await expect(loadWorkerPolicyFile(missing)).rejects.toThrow(
      `${missing}: 1 problem\n  the worker policy file does not exist`,
    );
  });

  it('refuses an empty file and an alias bomb with a clear message', () => {
    expect(refusal(() => parseWorkerPolicy('', 'p.yaml')).message).toMatch(/the file is empty/);
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
version: 1
openrouter: { managementKeyEnvs: *c }
`;
    expect(refusal(() => parseWorkerPolicy(bomb, 'p.yaml')).message).toMatch(
      /expands aliases \(\*name\) more than 100 times/,
    );
  });

  it.each([
    ['KEY_ROTATOR_CODEC_KEY', 'openrouter:\n  managementKeyEnvs: [KEY_ROTATOR_CODEC_KEY]'],
    ['TEMPORAL_API_KEY', 'credentials:\n  envs: [TEMPORAL_API_KEY]'],
    ['VAULT_TOKEN_FILE', 'credentials:\n  envs: [VAULT_TOKEN_FILE]'],
    ['a pattern reaching KEY_ROTATOR_*', 'credentials:\n  envs: [KEY_*]'],
    ['a pattern reaching TEMPORAL_*', 'credentials:\n  envs: [TEMPORAL_*]'],
  ])("refuses the worker's own secrets: %s", (_what, body) => {
    const error = refusal(() => parseWorkerPolicy(`version: 1\n${body}\n`, 'p.yaml'));
    expect(error.message).toMatch(/the worker's own variables|ends in _FILE/);
  });

  it('refuses letting a destination read the management key variable', () => {
    const error = refusal(() =>
      parseWorkerPolicy(
        'openrouter:\n  managementKeyEnvs: [OPENROUTER_MANAGEMENT_KEY]\ncredentials:\n  envs: [OPENROUTER_*]\n',
        'p.yaml',
      ),
    );
    expect(error.issues[0]).toMatchObject({
      path: 'openrouter.managementKeyEnvs[0]',
      message: expect.stringMatching(/the management key may only go to OpenRouter/),
    });
  });

  it.each([
    [
      'http to a host that is not loopback',
      'openrouter:\n  baseUrls: [http://10.0.0.5:8080/api/v1]',
      /clear text/,
    ],
    [
      'a user:pass@ URL',
      'destinations:\n  vaultAddresses: ["https://ops:hunter2@vault.example.com"]',
      /user name or password/,
    ],
    ['a file: URL', 'openrouter:\n  baseUrls: ["file:///etc/passwd"]', /file: URLs are never allowed/],
    ['an address with a path', 'destinations:\n  vaultAddresses: [https://vault.example.com/v1]', /no path/],
    ['a relative folder', 'destinations:\n  fileRoots: [secrets]', /absolute path/],
    ['a folder with ..', 'credentials:\n  fileRoots: [/run/secrets/../..]', /normalised path/],
  ])('refuses %s', (_what, body, message) => {
    const error = refusal(() => parseWorkerPolicy(`version: 1\n${body}\n`, 'p.yaml'));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.message).toMatch(message);
    expect(error.message).not.toContain('hunter2');
  });

  it('allows plain http to loopback hosts, but only when listed', () => {
    const policy = parseWorkerPolicy(
      'openrouter:\n  baseUrls: ["http://[::1]:8787/api/v1", http://localhost:1/x]\n',
      'p',
    );
    expect(policy.openrouter.baseUrls).toEqual(['http://[::1]:8787/api/v1', 'http://localhost:1/x']);
    expect(defaultWorkerPolicy().openrouter.baseUrls).toEqual(['https://openrouter.ai/api/v1']);
  });
});

describe('deploy/worker-policy.example.yaml', () => {
  it('loads, and allows the example rotations the compose stack applies', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const policy = await loadWorkerPolicyFile(path.join(root, 'deploy/worker-policy.example.yaml'));
    const config = await loadConfig(path.join(root, 'deploy/config/rotations.example.yaml'));
    expect(policy.destinations.fileRoots).toEqual(['/data']);
    for (const example of config.rotations) expect(checkRotationAgainstPolicy(example, policy)).toEqual([]);
  });
});

describe('the default policy (no --policy, no KEY_ROTATOR_POLICY)', () => {
  it('allows openrouter.ai with OPENROUTER_MANAGEMENT_KEY, Infisical cloud and AWS default endpoints, nothing else', async () => {
    const policy = await loadWorkerPolicy({ env: {} });
    expect(policy).toEqual({
      version: 1,
      openrouter: {
        baseUrls: ['https://openrouter.ai/api/v1'],
        managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      },
      credentials: { envs: [], fileRoots: [] },
      destinations: {
        fileRoots: [],
        vaultAddresses: [],
        infisicalSiteUrls: ['https://app.infisical.com'],
        awsEndpoints: [],
        githubApiUrls: ['https://api.github.com'],
        vercelApiUrls: ['https://api.vercel.com'],
        kubernetesApiServers: [],
        kubernetesSecrets: ['*'],
        kubernetesRestartTargets: ['*'],
        vaultSecrets: ['*'],
        awsSecretIds: ['*'],
        githubRepositories: ['*'],
        githubOrganizations: ['*'],
        infisicalSecrets: ['*'],
        vercelProjects: ['*'],
        ssmParameters: ['*'],
        gcpSecretManagerEndpoints: [],
        gcpSecrets: ['*'],
        azureVaultUrls: [],
        azureAuthorityHosts: [],
        azureSecrets: ['*'],
      },
      notifications: { webhookOrigins: ['https://hooks.slack.com'] },
      openTargetLists: [
        'kubernetesSecrets',
        'kubernetesRestartTargets',
        'vaultSecrets',
        'awsSecretIds',
        'githubRepositories',
        'githubOrganizations',
        'infisicalSecrets',
        'vercelProjects',
        'ssmParameters',
        'gcpSecrets',
        'azureSecrets',
      ],
      name: 'the default worker policy',
      file: undefined,
    });
    expect(describeWorkerPolicy(policy)).toMatch(
      /^default policy: OpenRouter https:\/\/openrouter\.ai\/api\/v1 with OPENROUTER_MANAGEMENT_KEY; /,
    );
    expect(describeWorkerPolicy(policy)).toContain('notification webhooks to https://hooks.slack.com;');
  });

  it('refuses a file destination and a Vault destination, and allows an AWS one without an endpoint', () => {
    const policy = defaultWorkerPolicy();
    const refused = checkRotationAgainstPolicy(
      rotation({
        destinations: [
          { type: 'file', path: '/tmp/x.env' },
          { type: 'aws-secrets-manager', secretId: 'app/key', region: 'eu-west-1' },
          {
            type: 'vault',
            address: 'https://vault.example.com',
            path: 'apps/x',
            auth: { method: 'token', token: { env: 'VAULT_TOKEN' } },
          },
        ],
      }),
      policy,
    );
    expect(refused.map((v) => v.path)).toEqual([
      'destinations[0].path',
      'destinations[2].address',
      'destinations[2].auth.token.env',
    ]);
  });

  it('is the one KEY_ROTATOR_POLICY names when set, and --policy wins over it', async () => {
    const fromEnv = path.join(dir, 'env-policy.yaml');
    const fromFlag = path.join(dir, 'flag-policy.yaml');
    await writeFile(fromEnv, 'version: 1\n');
    await writeFile(fromFlag, 'version: 1\n');
    expect((await loadWorkerPolicy({ env: { KEY_ROTATOR_POLICY: fromEnv } })).file).toBe(fromEnv);
    expect((await loadWorkerPolicy({ file: fromFlag, env: { KEY_ROTATOR_POLICY: fromEnv } })).file).toBe(
      fromFlag,
    );
  });
});

describe('checking a rotation against a policy', () => {
  it('names the field and the rule, and shows URLs without user:pass@', () => {
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
    });
    const raw = rotation();
    // As if it came from unvalidated workflow input, past the config schema.
    const unvalidated = {
      ...raw,
      openrouter: { ...raw.openrouter, baseUrl: 'https://me:s3cr3t@evil.example/api' },
    };
    const [violation] = checkRotationAgainstPolicy(
      { ...raw, openrouter: { ...raw.openrouter, baseUrl: 'http://127.0.0.1:9/api/v1' } },
      policy,
    );
    expect(violation).toEqual({
      path: 'openrouter.baseUrl',
      message:
        "http://127.0.0.1:9/api/v1 is not in the worker policy's openrouter.baseUrls (allowed: https://openrouter.ai/api/v1)",
    });
    const messages = checkRotationAgainstPolicy(unvalidated, policy)
      .map((v) => v.message)
      .join('\n');
    expect(messages).toMatch(/user name or password/);
    expect(messages).not.toContain('s3cr3t');
  });

  it('matches base URLs exactly after normalisation: a trailing slash is the same URL, another path is not', () => {
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
    });
    const at = (baseUrl: string) => {
      const r = rotation();
      return checkRotationAgainstPolicy(
        { ...r, openrouter: { ...r.openrouter, baseUrl }, destinations: [] },
        policy,
      );
    };
    expect(at('https://OPENROUTER.ai/api/v1/')).toEqual([]);
    expect(at('https://openrouter.ai/api/v2')).toHaveLength(1);
    expect(at('https://openrouter.ai.evil.example/api/v1')).toHaveLength(1);
  });

  it("refuses the worker's own variables as the management key or a credential, whatever the policy lists", () => {
    const policy = policyFor({
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      credentialEnvs: ['VAULT_*'],
    });
    const r = rotation();
    const found = checkRotationAgainstPolicy(
      {
        ...r,
        openrouter: { ...r.openrouter, managementKeyEnv: 'KEY_ROTATOR_CODEC_KEY' },
        destinations: [
          {
            type: 'vault',
            address: 'https://vault.example.com',
            mount: 'secret',
            path: 'x',
            field: 'K',
            auth: { method: 'token', token: { env: 'VAULT_TOKEN_FILE' } },
          },
        ],
      },
      policy,
    );
    expect(found).toEqual(
      expect.arrayContaining([
        {
          path: 'openrouter.managementKeyEnv',
          message: expect.stringMatching(/KEY_ROTATOR_CODEC_KEY is one of the worker's own variables/),
        },
        {
          path: 'destinations[0].auth.token.env',
          message: expect.stringMatching(/VAULT_TOKEN_FILE ends in _FILE/),
        },
      ]),
    );
  });

  it('allows file destinations inside a root, also in folders not created yet, and refuses a symbolic link leading out', async () => {
    const root = path.join(dir, 'roots', 'secrets');
    const outside = path.join(dir, 'outside');
    await mkdir(root, { recursive: true });
    await mkdir(outside, { recursive: true });
    await symlink(outside, path.join(root, 'escape'));
    const policy = policyFor({
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      baseUrls: ['https://openrouter.ai/api/v1'],
      fileRoots: [root],
    });
    const check = (file: string) =>
      checkRotationAgainstPolicy(rotation({ destinations: [{ type: 'file', path: file }] }), policy);

    expect(check(path.join(root, 'app.env'))).toEqual([]);
    expect(check(path.join(root, 'new', 'folder', 'app.env'))).toEqual([]);
    expect(check(path.join(root, 'escape', 'app.env'))).toEqual([
      {
        path: 'destinations[0].path',
        message: expect.stringMatching(
          /is not inside a folder of the worker policy's destinations\.fileRoots/,
        ),
      },
    ]);
    expect(check(path.join(dir, 'roots', 'secrets-sibling', 'app.env'))).toHaveLength(1);
    expect(check(root)).toHaveLength(1);
  });

  it('resolves relative paths from the working directory it is given', () => {
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      fileRoots: [path.join(dir, 'app')],
    });
    const r = rotation({ destinations: [{ type: 'file', path: 'secrets/app.env' }] });
    expect(checkRotationAgainstPolicy(r, policy, { cwd: path.join(dir, 'app') })).toEqual([]);
    expect(checkRotationAgainstPolicy(r, policy, { cwd: path.join(dir, 'elsewhere') })).toHaveLength(1);
  });

  it('refuses a credential file outside the roots, and one reached through a symbolic link', async () => {
    const secrets = path.join(dir, 'run-secrets');
    await mkdir(secrets, { recursive: true });
    await writeFile(path.join(secrets, 'vault-token'), 'token\n');
    await symlink('/etc/passwd', path.join(secrets, 'passwd'));
    const policy = policyFor({
      baseUrls: ['https://openrouter.ai/api/v1'],
      managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'],
      vaultAddresses: ['https://vault.example.com'],
      credentialFileRoots: [secrets],
    });
    const withToken = (file: string) =>
      checkRotationAgainstPolicy(
        rotation({
          destinations: [
            {
              type: 'vault',
              address: 'https://vault.example.com',
              path: 'x',
              auth: { method: 'token', token: { file } },
            },
          ],
        }),
        policy,
      );
    expect(withToken(path.join(secrets, 'vault-token'))).toEqual([]);
    expect(withToken('/etc/passwd')[0]?.path).toBe('destinations[0].auth.token.file');
    expect(withToken(path.join(secrets, 'passwd'))[0]?.message).toMatch(/\/etc\/passwd|run-secrets\/passwd/);
  });
});
