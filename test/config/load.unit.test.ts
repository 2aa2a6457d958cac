import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findEnvironmentProblems } from '../../src/policy/check-environment.js';
import { ConfigFileError, type ConfigIssue } from '../../src/config-files/config-file-error.js';
import { loadConfig, parseConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors/rotator-errors.js';
import { carryOverModeOf } from '../../src/config/schema.js';

const GOOD = `# yaml-language-server: $schema=../rotations.schema.json
version: 1
rotations:
  - name: checkout-prod
    description: the checkout service
    openrouter:
      key:
        name: checkout
        limit: 25
        limitReset: monthly
    schedule:
      intervalDays: 30
      rotateAt: "03:00"
      timezone: Europe/Berlin
    destinations:
      - type: file
        path: secrets/checkout.env
      - type: vault
        address: https://vault.example.com:8200
        path: apps/checkout
        auth:
          method: approle
          roleId: { env: VAULT_ROLE_ID }
          secretId: { file: /run/secrets/vault-secret-id }
`;

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, 'rotations.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigFileError);
    return (err as ConfigFileError).issues;
  }
  throw new Error('expected the configuration to be rejected');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'config-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loading rotations.yaml', () => {
  it('reads a valid file and fills in the defaults', async () => {
    const file = path.join(dir, 'rotations.yaml');
    await writeFile(file, GOOD);
    const config = await loadConfig(file);
    const rotation = config.rotations[0]!;
    expect(rotation.name).toBe('checkout-prod');
    expect(rotation.gracePeriod).toBe('24h');
    expect(rotation.schedule).toEqual({
      intervalDays: 30,
      rotateAt: '03:00',
      timezone: 'Europe/Berlin',
      enabled: true,
    });
    expect(rotation.openrouter.managementKeyEnv).toBe('OPENROUTER_MANAGEMENT_KEY');
    expect(rotation.destinations[0]).toEqual({
      type: 'file',
      path: 'secrets/checkout.env',
      format: 'dotenv',
      field: 'OPENROUTER_API_KEY',
    });
  });

  it('reads the same content written as JSON', () => {
    const json = JSON.stringify({
      rotations: [
        {
          name: 'j',
          openrouter: { key: { name: 'j' } },
          schedule: { intervalDays: 1 },
          destinations: [{ type: 'file', path: 'j.env' }],
        },
      ],
    });
    expect(parseConfig(json, 'rotations.json').rotations[0]?.schedule.timezone).toBe('UTC');
  });

  it('names the file, the path inside it, the line:column and what was expected', () => {
    const text = GOOD.replace('timezone: Europe/Berlin', 'timezone: Europe/Berln');
    let error: unknown;
    try {
      parseConfig(text, 'ops/rotations.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'ops/rotations.yaml: 1 problem\n' +
        '  rotations[0].schedule.timezone (line 14:17): expected an IANA time zone such as Europe/Berlin or UTC',
    );
  });

  it('reports every problem at once, in file order', () => {
    const text = GOOD.replace('intervalDays: 30', 'intervalDays: 0')
      .replace('rotateAt: "03:00"', 'rotateAt: "3pm"')
      .replace('limit: 25', 'limit: -1');
    expect(issuesOf(text).map((i) => [i.path, i.line])).toEqual([
      ['rotations[0].openrouter.key.limit', 9],
      ['rotations[0].schedule.intervalDays', 12],
      ['rotations[0].schedule.rotateAt', 13],
    ]);
  });

  it('rejects an unknown field with the closest known name, pointing at the field', () => {
    const [issue, ...rest] = issuesOf(GOOD.replace('    description:', '    descripton:'));
    expect(rest).toEqual([]);
    expect(issue).toEqual({
      path: 'rotations[0].descripton',
      line: 5,
      column: 5,
      message: 'unknown field "descripton"; did you mean "description"?',
    });
  });

  it('suggests fields of the destination type that was written (discriminated union)', () => {
    const [issue] = issuesOf(GOOD.replace('        path: apps/checkout', '        pth: apps/checkout'));
    expect(issue?.path).toBe('rotations[0].destinations[1].path');
    const unknown = issuesOf(
      GOOD.replace('        path: apps/checkout', '        path: apps/checkout\n        mountt: kv'),
    );
    expect(unknown).toEqual([
      expect.objectContaining({ message: 'unknown field "mountt"; did you mean "mount"?' }),
    ]);
  });

  it('lists the destination types when the type is unknown', () => {
    const [issue] = issuesOf(GOOD.replace('type: vault', 'type: s3'));
    expect(issue?.path).toBe('rotations[0].destinations[1].type');
    expect(issue?.message).toBe(
      'unknown type "s3"; expected one of: file, aws-secrets-manager, vault, infisical, github-actions-secret, vercel-env, kubernetes-secret, aws-ssm-parameter, gcp-secret-manager, azure-key-vault',
    );
  });

  it('says which required field is missing', () => {
    const [issue] = issuesOf(GOOD.replace('        path: secrets/checkout.env\n', ''));
    expect(issue).toMatchObject({
      path: 'rotations[0].destinations[0].path',
      message: 'required field "path" is missing (expected string)',
    });
  });

  it('reports malformed YAML with its position and without quoting the source', () => {
    const issues = issuesOf('rotations:\n  - name: a\n    openrouter: { key: [\n');
    expect(issues[0]?.message).toMatch(/^invalid YAML: /);
    expect(issues[0]?.line).toBeGreaterThan(0);
    expect(issues[0]?.message).not.toContain('\n');
  });

  it('reports duplicate keys in a mapping', () => {
    const issues = issuesOf('rotations:\n  - name: a\n    name: b\n');
    expect(issues).toEqual([
      expect.objectContaining({ line: 3, message: 'invalid YAML: Map keys must be unique' }),
    ]);
  });

  it('reports duplicate rotation names', () => {
    const twice = GOOD + GOOD.slice(GOOD.indexOf('  - name: checkout-prod'));
    expect(issuesOf(twice)).toEqual([
      expect.objectContaining({
        path: 'rotations[1].name',
        message: 'duplicate rotation name "checkout-prod" (first used at rotations[0])',
      }),
    ]);
  });

  it('takes openrouter.carryOver from the rotation, else from defaults, else auto', () => {
    const second = GOOD.slice(GOOD.indexOf('  - name: checkout-prod'))
      .replace('checkout-prod', 'checkout-dev')
      .replace('    openrouter:\n', '    openrouter:\n      carryOver: required\n');
    const modes = (text: string) =>
      parseConfig(text, 'rotations.yaml').rotations.map((r) => carryOverModeOf(r));

    expect(modes(GOOD + second)).toEqual(['auto', 'required']);
    expect(modes(`defaults:\n  openrouter:\n    carryOver: off\n${GOOD}${second}`)).toEqual([
      'off',
      'required',
    ]);
  });

  it('refuses a guardrail id with carryOver off, in the rotation or from defaults, naming the field', () => {
    const withGuardrail = GOOD.replace('    openrouter:\n', '    openrouter:\n      guardrail: gr_1\n');
    expect(
      issuesOf(withGuardrail.replace('guardrail: gr_1\n', 'guardrail: gr_1\n      carryOver: off\n')),
    ).toEqual([
      expect.objectContaining({
        path: 'rotations[0].openrouter.guardrail',
        message: expect.stringMatching(/^guardrail gr_1 would not be assigned with carryOver: off/),
      }),
    ]);
    expect(issuesOf(`defaults:\n  openrouter:\n    carryOver: off\n${withGuardrail}`)).toEqual([
      expect.objectContaining({
        path: 'rotations[0].openrouter.guardrail',
        message: expect.stringMatching(/with defaults\.openrouter\.carryOver: off/),
      }),
    ]);
    expect(
      issuesOf(GOOD.replace('    openrouter:\n', '    openrouter:\n      carryOver: sometimes\n')),
    ).toEqual([expect.objectContaining({ path: 'rotations[0].openrouter.carryOver' })]);
  });

  it('says so when a secret is pasted where the name of a variable belongs, without echoing it', () => {
    const secret = 'sk-or-v1-' + 'f'.repeat(64);
    let message = '';
    try {
      parseConfig(GOOD.replace('      key:\n', `      managementKeyEnv: ${secret}\n      key:\n`), 'r.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(
      'rotations[0].openrouter.managementKeyEnv (line 7:25): this looks like a secret',
    );
    expect(message).not.toContain('f'.repeat(20));

    const token = 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7xQ2';
    const [issue] = issuesOf(GOOD.replace('roleId: { env: VAULT_ROLE_ID }', `roleId: { env: ${token} }`));
    expect(issue).toMatchObject({ path: 'rotations[0].destinations[1].auth.roleId.env', line: 23 });
    expect(issue?.message).not.toContain(token);
  });

  it('reports an empty file and a missing file', async () => {
    expect(issuesOf('# nothing yet\n')[0]?.message).toMatch(/the file is empty/);
    await expect(loadConfig(path.join(dir, 'missing.yaml'))).rejects.toThrow(
      /missing\.yaml: 1 problem\n {2}the file does not exist/,
    );
  });
});

describe('checking the environment a configuration needs', () => {
  const config = parseConfig(GOOD, 'rotations.yaml');

  it('passes when the management key variable and every credential exist', () => {
    expect(
      findEnvironmentProblems(
        config,
        { OPENROUTER_MANAGEMENT_KEY: 'x', VAULT_ROLE_ID: 'role' },
        { fileExists: (f) => f === '/run/secrets/vault-secret-id' },
      ),
    ).toEqual([]);
  });

  it('names each missing variable and file and where the file refers to it', () => {
    const issues = findEnvironmentProblems(config, { VAULT_ROLE_ID: ' ' }, { fileExists: () => false });
    expect(issues.map((i) => i.path)).toEqual([
      'rotations[0].openrouter.managementKeyEnv',
      'rotations[0].destinations[1].auth.roleId.env',
      'rotations[0].destinations[1].auth.secretId.file',
    ]);
    expect(issues[0]?.message).toMatch(
      /^environment variable OPENROUTER_MANAGEMENT_KEY is not set; it must hold the OpenRouter management key of rotation "checkout-prod"/,
    );
    expect(issues[1]?.message).toMatch(/^environment variable VAULT_ROLE_ID is empty/);
    expect(issues[2]?.message).toMatch(/^file \/run\/secrets\/vault-secret-id does not exist/);
  });

  it('accepts the management key as a file named by <NAME>_FILE, like the worker', () => {
    const env = { OPENROUTER_MANAGEMENT_KEY_FILE: 'mgmt.key', VAULT_ROLE_ID: 'role' };
    expect(findEnvironmentProblems(config, env, { cwd: '/etc', fileExists: () => true })).toEqual([]);
    const missing = findEnvironmentProblems(config, env, {
      cwd: '/etc',
      fileExists: (f) => f !== '/etc/mgmt.key',
    });
    expect(missing[0]?.message).toMatch(
      /^file \/etc\/mgmt\.key \(from OPENROUTER_MANAGEMENT_KEY_FILE\) does not exist/,
    );
  });
});
