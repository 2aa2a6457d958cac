/**
 * `key-rotator apply` through the real binary refuses, with exit 2 and nothing created, every
 * rotation that would send a credential somewhere it must never go (static rules, whatever the
 * worker policy says), and with a worker policy (--policy or KEY_ROTATOR_POLICY) every rotation
 * that policy's worker would refuse. `key-rotator worker` says which policy it runs, and refuses
 * to start on a bad one.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliEnvironment,
  connectCliTestClient,
  KEY_ROTATOR_BIN,
  runKeyRotator,
  scheduleExists,
  uniqueName,
} from '../support/cli.js';

/** A valid rotation; the tests put one bad value into it. */
function rotationsYaml(name: string, patch: (yaml: string) => string = (y) => y): string {
  return patch(`version: 1
rotations:
  - name: ${name}
    openrouter:
      managementKeyEnv: TEST_MGMT_KEY
      baseUrl: https://openrouter.ai/api/v1
      key: { name: ${name} }
    schedule: { intervalDays: 30 }
    destinations:
      - type: file
        path: secrets/${name}.env
`);
}

const vaultWith =
  (address: string, token = '{ env: TEST_VAULT_TOKEN }') =>
  (yaml: string) =>
    yaml.replace(
      '      - type: file',
      `      - type: vault\n        address: ${address}\n        path: apps/x\n        auth: { method: token, token: ${token} }\n      - type: file`,
    );

interface StaticCase {
  title: string;
  patch: (yaml: string) => string;
  message: RegExp;
  /** Must not appear in the output. */
  secret?: string;
}

const STATIC_CASES: StaticCase[] = [
  {
    title: 'an http OpenRouter base URL to a host that is not loopback',
    patch: (y) => y.replace('baseUrl: https://openrouter.ai/api/v1', 'baseUrl: http://example.com/api/v1'),
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 6:16\): http would send credentials in clear text to example\.com/,
  },
  {
    title: 'a file: base URL',
    patch: (y) => y.replace('baseUrl: https://openrouter.ai/api/v1', 'baseUrl: "file:///etc/passwd"'),
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 6:16\): expected an https URL; file: URLs are never allowed/,
  },
  {
    title: 'an ftp: base URL',
    patch: (y) => y.replace('baseUrl: https://openrouter.ai/api/v1', 'baseUrl: ftp://files.example.com/api'),
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 6:16\): expected an https URL; ftp: URLs are never allowed/,
  },
  {
    title: 'a javascript: base URL',
    patch: (y) => y.replace('baseUrl: https://openrouter.ai/api/v1', 'baseUrl: "javascript:alert(1)"'),
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 6:16\): expected an https URL; javascript: URLs are never allowed/,
  },
  {
    title: 'a base URL with a query',
    patch: (y) =>
      y.replace('baseUrl: https://openrouter.ai/api/v1', 'baseUrl: "https://openrouter.ai/api/v1?x=1"'),
    message: /rotations\[0\]\.openrouter\.baseUrl \(line 6:16\): must not have a query/,
  },
  {
    title: 'a Vault address with user:pass@',
    patch: vaultWith('"https://admin:hunter2-pass@vault.example.com:8200"'),
    message:
      /rotations\[0\]\.destinations\[0\]\.address \(line 11:18\): must not contain a user name or password/,
    secret: 'hunter2-pass',
  },
  {
    title: 'an AWS endpoint over http to another host',
    patch: (y) =>
      y.replace(
        '      - type: file',
        '      - type: aws-secrets-manager\n        secretId: x\n        endpoint: http://169.254.169.254\n      - type: file',
      ),
    message:
      /rotations\[0\]\.destinations\[0\]\.endpoint \(line 12:19\): http would send credentials in clear text/,
  },
  {
    title: 'an AWS region that would change the endpoint host',
    patch: (y) =>
      y.replace(
        '      - type: file',
        '      - type: aws-secrets-manager\n        secretId: x\n        region: evil.example.com#\n      - type: file',
      ),
    message: /rotations\[0\]\.destinations\[0\]\.region \(line 12:17\): expected an AWS region/,
  },
  {
    title: 'a NUL byte in a file path',
    patch: (y) => y.replace(/path: secrets\/(.*)\.env/, 'path: "secrets/$1\\0.env"'),
    message: /rotations\[0\]\.destinations\[0\]\.path \(line 11:15\): must not contain a NUL byte/,
  },
  {
    title: '.. in a file destination path',
    patch: (y) => y.replace(/path: secrets\/.*\.env/, 'path: secrets/../../../etc/cron.d/rotator'),
    message:
      /rotations\[0\]\.destinations\[0\]\.path \(line 11:15\): expected a normalised path: no "\." or "\.\." segments/,
  },
  {
    title: '.. in a credential file reference',
    patch: vaultWith('https://vault.example.com', '{ file: /run/secrets/../../etc/shadow }'),
    message:
      /rotations\[0\]\.destinations\[0\]\.auth\.token\.file \(line 13:47\): expected a normalised path/,
  },
  {
    title: "the worker's codec key as the management key variable",
    patch: (y) => y.replace('managementKeyEnv: TEST_MGMT_KEY', 'managementKeyEnv: KEY_ROTATOR_CODEC_KEY'),
    message:
      /rotations\[0\]\.openrouter\.managementKeyEnv \(line 5:25\): KEY_ROTATOR_CODEC_KEY is one of the worker's own variables/,
  },
  {
    title: 'a _FILE variable as a credential',
    patch: vaultWith('https://vault.example.com', '{ env: KEY_FILE }'),
    message: /rotations\[0\]\.destinations\[0\]\.auth\.token\.env \(line 13:46\): KEY_FILE ends in _FILE/,
  },
];

let dir: string;
let client: Client;
let close: () => Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'security-policy-apply-'));
  ({ client, close } = await connectCliTestClient());
});
afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

async function writeRotations(name: string, patch?: (yaml: string) => string): Promise<string> {
  const file = path.join(dir, `rotations-${name}.yaml`);
  await writeFile(file, rotationsYaml(name, patch));
  return file;
}

const ENV = { TEST_MGMT_KEY: 'set', TEST_VAULT_TOKEN: 'set' };

describe('apply: rules that hold whatever the worker policy says', () => {
  it.each(STATIC_CASES)('$title: exit 2, names the field and the rule, creates nothing', async (bad) => {
    const name = uniqueName('static');
    const file = await writeRotations(name, bad.patch);
    const run = await runKeyRotator(['apply', '-f', file], { env: ENV, cwd: dir });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toMatch(bad.message);
    if (bad.secret) expect(run.stdout + run.stderr).not.toContain(bad.secret);
    expect(await scheduleExists(client, name)).toBe(false);
  });
});

describe('apply with a worker policy', () => {
  const loopbackRotation = (y: string) =>
    y.replace('baseUrl: https://openrouter.ai/api/v1', 'baseUrl: http://127.0.0.1:9/api/v1');

  async function policyFile(body: string): Promise<string> {
    const file = path.join(dir, `policy-${uniqueName('p')}.yaml`);
    await writeFile(file, body);
    return file;
  }

  it('--policy: reports the rotation whose base URL the policy does not allow, exit 2, creates nothing', async () => {
    const name = uniqueName('policy');
    const file = await writeRotations(name, loopbackRotation);
    const policy = await policyFile(
      `version: 1\nopenrouter:\n  managementKeyEnvs: [TEST_MGMT_KEY]\ndestinations:\n  fileRoots: [${dir}]\n`,
    );
    const run = await runKeyRotator(['apply', '-f', file, '--policy', policy], { env: ENV, cwd: dir });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toContain(
      `rotations[0].openrouter.baseUrl: the worker policy ${policy} would refuse rotation "${name}": ` +
        "http://127.0.0.1:9/api/v1 is not in the worker policy's openrouter.baseUrls (allowed: https://openrouter.ai/api/v1)",
    );
    expect(run.stderr).toMatch(/1 problem\n/);
    expect(await scheduleExists(client, name)).toBe(false);
  });

  it('KEY_ROTATOR_POLICY: the same check, and a destination outside the file roots is reported too', async () => {
    const name = uniqueName('policyenv');
    const file = await writeRotations(name, loopbackRotation);
    const policy = await policyFile(
      `openrouter:\n  managementKeyEnvs: [TEST_MGMT_KEY]\ndestinations:\n  fileRoots: [/var/lib/app-secrets]\n`,
    );
    const run = await runKeyRotator(['apply', '-f', file], {
      env: { ...ENV, KEY_ROTATOR_POLICY: policy },
      cwd: dir,
    });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toMatch(/2 problems\n/);
    expect(run.stderr).toContain('rotations[0].openrouter.baseUrl: the worker policy');
    expect(run.stderr).toMatch(
      /rotations\[0\]\.destinations\[0\]\.path: .* is not inside a folder of the worker policy's destinations\.fileRoots \(allowed: \/var\/lib\/app-secrets/,
    );
    expect(await scheduleExists(client, name)).toBe(false);
  });

  it('reports a credential file the policy refuses instead of looking for it', async () => {
    const name = uniqueName('policyref');
    const file = await writeRotations(name, vaultWith('https://vault.example.com', '{ file: /etc/passwd }'));
    const policy = await policyFile(
      `openrouter:\n  managementKeyEnvs: [TEST_MGMT_KEY]\ncredentials:\n  fileRoots: [/run/secrets]\ndestinations:\n  fileRoots: [${dir}]\n  vaultAddresses: [https://vault.example.com]\n`,
    );
    const run = await runKeyRotator(['apply', '-f', file, '--policy', policy, '--dry-run'], {
      env: ENV,
      cwd: dir,
    });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toMatch(/1 problem\n/);
    expect(run.stderr).toMatch(
      /rotations\[0\]\.destinations\[0\]\.auth\.token\.file: .*\/etc\/passwd is not inside a folder of the worker policy's credentials\.fileRoots/,
    );
  });

  it('a version 2 policy: a Kubernetes Secret and a Vault path outside its target lists, exit 2, creates nothing', async () => {
    const name = uniqueName('policytargets');
    const file = await writeRotations(name, (y) =>
      vaultWith('https://vault.example.com')(loopbackRotation(y)).replace(
        '      - type: file',
        '      - type: kubernetes-secret\n        namespace: payments\n        name: db\n        key: password\n' +
          '        auth: { method: kubeconfig, kubeconfig: { file: /run/secrets/kubeconfig }, server: https://k8s.example.com }\n' +
          '      - type: file',
      ),
    );
    const policy = await policyFile(
      `version: 2\nopenrouter:\n  baseUrls: [http://127.0.0.1:9/api/v1]\n  managementKeyEnvs: [TEST_MGMT_KEY]\n` +
        `credentials:\n  envs: [TEST_VAULT_TOKEN]\n  fileRoots: [/run/secrets]\n` +
        `destinations:\n  fileRoots: [${dir}]\n  vaultAddresses: [https://vault.example.com]\n` +
        `  kubernetesApiServers: [https://k8s.example.com]\n  kubernetesSecrets: [apps/*]\n  vaultSecrets: [secret/data/apps/y]\n`,
    );
    const run = await runKeyRotator(['apply', '-f', file, '--policy', policy], { env: ENV, cwd: dir });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toMatch(/2 problems\n/);
    expect(run.stderr).toContain(
      `rotations[0].destinations[0].path: the worker policy ${policy} would refuse rotation "${name}": ` +
        "Vault secret secret/data/apps/x is not in the worker policy's destinations.vaultSecrets (allowed: secret/data/apps/y)",
    );
    expect(run.stderr).toContain(
      `rotations[0].destinations[1].name: the worker policy ${policy} would refuse rotation "${name}": ` +
        "Kubernetes Secret payments/db is not in the worker policy's destinations.kubernetesSecrets (allowed: apps/*)",
    );
    expect(await scheduleExists(client, name)).toBe(false);
  });

  it('passes a rotation the policy allows (dry run)', async () => {
    const name = uniqueName('allowed');
    const file = await writeRotations(name, loopbackRotation);
    const policy = await policyFile(
      `openrouter:\n  baseUrls: [http://127.0.0.1:9/api/v1/]\n  managementKeyEnvs: [TEST_MGMT_KEY]\ndestinations:\n  fileRoots: [${dir}]\n`,
    );
    const run = await runKeyRotator(['apply', '-f', file, '--policy', policy, '--dry-run'], {
      env: ENV,
      cwd: dir,
    });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain(`+ create  ${name}`);
  });

  it('refuses a bad policy file with exit 2, naming the policy file and the field', async () => {
    const name = uniqueName('badpolicy');
    const file = await writeRotations(name);
    const policy = await policyFile('openrouter:\n  baseUrls: [http://10.0.0.5:8080/api/v1]\n');
    const run = await runKeyRotator(['apply', '-f', file, '--policy', policy], { env: ENV, cwd: dir });

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `${policy}: 1 problem\\n {2}openrouter\\.baseUrls\\[0\\] \\(line 2:14\\): http would send credentials in clear text`,
      ),
    );
    expect(await scheduleExists(client, name)).toBe(false);
  });
});

describe('key-rotator worker and its policy', () => {
  it('refuses to start on a bad policy file: exit 2, naming the file and the field', async () => {
    const policy = path.join(dir, 'bad-worker-policy.yaml');
    await writeFile(policy, 'credentials:\n  envs: [KEY_ROTATOR_CODEC_KEY]\n');
    const run = await runKeyRotator(['worker', '--policy', policy], {
      env: { KEY_ROTATOR_TASK_QUEUE: uniqueName('never-polled') },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${policy}: 1 problem\n  credentials.envs[0] (line 2:10): KEY_ROTATOR_CODEC_KEY is one of the worker's own variables`,
    );
    expect(run.stdout).not.toContain('polling');
  });

  it('prints one line naming the policy it runs, from KEY_ROTATOR_POLICY or the default', async () => {
    const policy = path.join(dir, 'worker-policy.yaml');
    await writeFile(policy, 'version: 1\n');
    const startUpOf = (env: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [KEY_ROTATOR_BIN, 'worker'], {
          env: cliEnvironment({ KEY_ROTATOR_TASK_QUEUE: uniqueName('startup-line'), ...env }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the worker did not start polling: ${output}`));
        }, 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('worker polling')) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve(output);
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      });

    const withFile = await startUpOf({ KEY_ROTATOR_POLICY: policy });
    expect(withFile.split('\n').filter((line) => line.includes('policy'))).toEqual([
      `key-rotator worker policy: ${policy}; version 1: any secret in an allowed store (destinations.kubernetesSecrets, ` +
        'destinations.kubernetesRestartTargets, destinations.vaultSecrets, destinations.awsSecretIds, ' +
        'destinations.githubRepositories, destinations.githubOrganizations, destinations.infisicalSecrets, ' +
        'destinations.vercelProjects, destinations.ssmParameters, destinations.gcpSecrets, destinations.azureSecrets not set; version 2 allows only what they list)',
    ]);
    const withDefault = await startUpOf({});
    expect(withDefault.split('\n').filter((line) => line.includes('policy'))).toEqual([
      expect.stringMatching(
        /^key-rotator default policy: OpenRouter https:\/\/openrouter\.ai\/api\/v1 with OPENROUTER_MANAGEMENT_KEY; /,
      ),
    ]);
  });
});
