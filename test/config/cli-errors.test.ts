/**
 * Bad input through the real `key-rotator` binary: exit code 2, a message that names the problem,
 * and nothing created in Temporal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCliTestClient, runKeyRotator, scheduleExists, uniqueName } from '../support/cli.js';

const PASTED_KEY = 'sk-or-v1-' + '7c'.repeat(32);
const PASTED_TOKEN = 'hvs.CAESIJx8Qm3pK9dF2wLrT5yZ1aB4nE7uV0sG6hJ';

/** A valid rotation in YAML; `patch` rewrites parts of it to make it bad. */
function rotationYaml(name: string): string {
  return `  - name: ${name}
    openrouter:
      managementKeyEnv: TEST_MGMT_KEY
      key:
        name: ${name}
        limit: 5
    schedule:
      intervalDays: 30
      rotateAt: "03:00"
      timezone: Europe/Berlin
    gracePeriod: 1h
    destinations:
      - type: file
        path: secrets/${name}.env
`;
}

interface BadInput {
  title: string;
  /** Turns a valid file (for rotation `name`) into the bad one; omit for argument errors. */
  file?: (valid: string, name: string) => string | Uint8Array;
  /** The command line; `file` is the path of the written file. */
  args: (file: string, name: string) => string[];
  env?: Record<string, string | undefined>;
  message: RegExp;
  /** Text that must not appear anywhere in the output (a pasted secret). */
  secret?: string;
}

const apply = (file: string) => ['apply', '-f', file];

/** Inserts `lines` (YAML, 6-space indented) into the rotation's `openrouter:` block, before `key:`. */
const inOpenRouter = (valid: string, lines: string) =>
  valid.replace('      key:\n', `${lines}\n      key:\n`);
/** Puts a Vault destination with `address` before the file destination. */
const withVaultAt = (valid: string, address: string) =>
  valid.replace(
    '      - type: file',
    `      - type: vault\n        address: ${address}\n        path: apps/x\n        auth: { method: token, token: { env: TEST_VAULT_TOKEN } }\n      - type: file`,
  );
/** A YAML "billion laughs": ten levels of ten aliases each. */
function aliasBomb(): string {
  const levels = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 10; i += 1)
    levels.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${levels.join('\n')}\nrotations: *a9\n`;
}

const BAD_INPUTS: BadInput[] = [
  {
    title: 'malformed YAML',
    file: (v) => v.replace('      key:\n', '      key: [\n'),
    args: apply,
    message: /rotations-.*\.yaml: \d+ problems?\n {2}line \d+:\d+: invalid YAML/,
  },
  {
    title: 'a duration that is not one',
    file: (v) => v.replace('gracePeriod: 1h', 'gracePeriod: one hour'),
    args: apply,
    message: /rotations\[0\]\.gracePeriod \(line 12:18\): expected a duration such as 24h/,
  },
  {
    title: 'an unknown time zone',
    file: (v) => v.replace('Europe/Berlin', 'Europe/Atlantis'),
    args: apply,
    message: /rotations\[0\]\.schedule\.timezone \(line 11:17\): expected an IANA time zone/,
  },
  {
    title: 'an unknown field',
    file: (v) => v.replace('    gracePeriod: 1h', '    gracePeriode: 1h'),
    args: apply,
    message:
      /rotations\[0\]\.gracePeriode \(line 12:5\): unknown field "gracePeriode"; did you mean "gracePeriod"\?/,
  },
  {
    title: 'a negative spending limit',
    file: (v) => v.replace('limit: 5', 'limit: -5'),
    args: apply,
    message: /rotations\[0\]\.openrouter\.key\.limit \(line 7:16\): limit must be zero or more \(USD\)/,
  },
  {
    title: 'duplicate rotation names',
    file: (v, name) => v + rotationYaml(name),
    args: apply,
    message: /rotations\[1\]\.name .*duplicate rotation name ".*" \(first used at rotations\[0\]\)/,
  },
  {
    title: 'the management key variable is not set (apply --check-env)',
    file: (v) => v,
    args: (file) => ['apply', '-f', file, '--check-env'],
    env: { TEST_MGMT_KEY: undefined },
    message: /rotations\[0\]\.openrouter\.managementKeyEnv: environment variable TEST_MGMT_KEY is not set/,
  },
  {
    title: 'a destination credential variable is not set (apply --check-env)',
    file: (v) =>
      v.replace(
        '      - type: file',
        '      - type: vault\n        address: http://127.0.0.1:8200\n        path: apps/x\n        auth: { method: token, token: { env: TEST_VAULT_TOKEN } }\n      - type: file',
      ),
    args: (file) => ['apply', '-f', file, '--check-env'],
    message:
      /rotations\[0\]\.destinations\[0\]\.auth\.token\.env: environment variable TEST_VAULT_TOKEN is not set/,
  },
  {
    title: 'rotateAt that is not HH:MM',
    file: (v) => v.replace('rotateAt: "03:00"', 'rotateAt: "25:00"'),
    args: apply,
    message: /rotations\[0\]\.schedule\.rotateAt \(line 10:17\): expected HH:MM, 24-hour clock/,
  },
  {
    title: 'a name that is not a slug',
    file: (v, name) =>
      v.replace(`name: ${name}\n    openrouter`, `name: ${name.toUpperCase()}_X\n    openrouter`),
    args: apply,
    message: /rotations\[0\]\.name \(line 2:11\): expected a slug: lowercase letters, digits and dashes/,
  },
  {
    title: 'intervalDays 0',
    file: (v) => v.replace('intervalDays: 30', 'intervalDays: 0'),
    args: apply,
    message: /rotations\[0\]\.schedule\.intervalDays \(line 9:21\): expected number to be >=1/,
  },
  {
    title: 'no destinations',
    file: (v, name) =>
      v
        .replace(`      - type: file\n        path: secrets/${name}.env\n`, '')
        .replace('destinations:', 'destinations: []'),
    args: apply,
    message: /rotations\[0\]\.destinations \(line 13:19\): at least one destination is required/,
  },
  {
    title: 'a management key pasted where its variable NAME belongs',
    file: (v) => v.replace('managementKeyEnv: TEST_MGMT_KEY', `managementKeyEnv: ${PASTED_KEY}`),
    args: apply,
    message:
      /rotations\[0\]\.openrouter\.managementKeyEnv \(line 4:25\): this looks like a secret, not the NAME/,
    secret: PASTED_KEY.slice(12),
  },
  {
    title: 'a Vault token pasted where its variable NAME belongs',
    file: (v) =>
      v.replace(
        '      - type: file',
        `      - type: vault\n        address: http://127.0.0.1:8200\n        path: apps/x\n        auth: { method: token, token: { env: "${PASTED_TOKEN}" } }\n      - type: file`,
      ),
    args: apply,
    message: /rotations\[0\]\.destinations\[0\]\.auth\.token\.env \(line 17:46\): this looks like a secret/,
    secret: PASTED_TOKEN.slice(6),
  },
  {
    title: 'an unknown destination type',
    file: (v) => v.replace('- type: file', '- type: s3'),
    args: apply,
    message:
      /rotations\[0\]\.destinations\[0\]\.type \(line 14:15\): unknown type "s3"; expected one of: file, aws-secrets-manager, vault, infisical/,
  },
  {
    title: 'a required field missing',
    file: (v, name) => v.replace(`        path: secrets/${name}.env\n`, ''),
    args: apply,
    message: /rotations\[0\]\.destinations\[0\]\.path \(line 14:9\): required field "path" is missing/,
  },
  {
    title: 'a file that does not exist',
    args: (file) => ['apply', '-f', `${file}.missing`],
    message: /\.missing: 1 problem\n {2}the file does not exist/,
  },
  {
    title: 'a --grace that is not a duration',
    args: (_f, name) => ['rotate', name, '--grace', 'soon'],
    message: /option '--grace <duration>' argument 'soon' is invalid\. expected a duration/,
  },
  {
    title: 'a --limit that is not a positive number',
    args: (_f, name) => ['history', name, '--limit', '0'],
    message: /option '--limit <n>' argument '0' is invalid/,
  },
  {
    title: 'a status name that is not a slug',
    args: () => ['status', 'Checkout_Prod'],
    message: /"Checkout_Prod" is not a rotation name: expected a slug/,
  },
  {
    title: 'apply without -f',
    args: () => ['apply'],
    message: /required option '-f, --file <path>' not specified/,
  },
  {
    title: 'a baseUrl over plain http to a host that is not loopback',
    file: (v) => inOpenRouter(v, '      baseUrl: http://openrouter.example.com/api/v1'),
    args: apply,
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 5:16\): http would send credentials in clear text to openrouter\.example\.com: use https/,
  },
  {
    title: 'a baseUrl that is not http(s) at all',
    file: (v) => inOpenRouter(v, '      baseUrl: ftp://openrouter.ai/api/v1'),
    args: apply,
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 5:16\): expected an https URL; ftp: URLs are never allowed/,
  },
  {
    title: 'a baseUrl with a user name and password in it',
    file: (v) => inOpenRouter(v, '      baseUrl: https://me:hunter2@openrouter.ai/api/v1'),
    args: apply,
    message: /rotations\[0\]\.openrouter\.baseUrl \(line 5:16\): must not contain a user name or password/,
    secret: 'hunter2',
  },
  {
    title: 'a baseUrl with a query string',
    file: (v) => inOpenRouter(v, '      baseUrl: https://openrouter.ai/api/v1?via=proxy'),
    args: apply,
    message:
      /rotations\[0\]\.openrouter\.baseUrl \(line 5:16\): must not have a query \(\?\.\.\.\) or a fragment/,
  },
  {
    title: 'a NUL byte in a destination path',
    file: (v, name) => v.replace(`path: secrets/${name}.env`, `path: "secrets/${name}\\0.env"`),
    args: apply,
    message: /rotations\[0\]\.destinations\[0\]\.path \(line 15:15\): must not contain a NUL byte/,
  },
  {
    title: 'a destination path that climbs out with ..',
    file: (v, name) => v.replace(`path: secrets/${name}.env`, `path: ../../etc/${name}.env`),
    args: apply,
    message:
      /rotations\[0\]\.destinations\[0\]\.path \(line 15:15\): expected a normalised path: no "\." or "\.\." segments/,
  },
  {
    title: 'invalid UTF-8 in the config file',
    file: (v) => {
      const [head, tail] = [v.slice(0, v.indexOf('    openrouter:')), v.slice(v.indexOf('    openrouter:'))];
      return Buffer.concat([
        Buffer.from(`${head}    description: "caf`),
        Buffer.from([0xe9]),
        Buffer.from(`"\n${tail}`),
      ]);
    },
    args: apply,
    message: /rotations-.*\.yaml: 1 problem\n {2}line 3:22: the file is not valid UTF-8/,
  },
  {
    title: 'a YAML alias bomb',
    file: () => aliasBomb(),
    args: apply,
    message:
      /rotations-.*\.yaml: 1 problem\n {2}invalid YAML: it expands aliases \(\*name\) more than 100 times/,
  },
  {
    title: 'a file larger than 1 MiB',
    file: (v) => `${v}#${'x'.repeat(1024 * 1024)}\n`,
    args: apply,
    message: /rotations-.*\.yaml: 1 problem\n {2}the file is larger than 1 MiB/,
  },
  {
    title: 'an empty file',
    file: () => '',
    args: apply,
    message: /the file is empty; expected `version: 1` and a `rotations:` list/,
  },
  {
    title: 'a list where the file should hold a mapping',
    file: () => '- name: a\n- name: b\n',
    args: apply,
    message: /line 1:1: expected object, received array/,
  },
  {
    title: 'a version this CLI does not know',
    file: (v) => `version: 2\n${v}`,
    args: apply,
    message: /version \(line 1:10\): expected 1/,
  },
  {
    title: 'the same key twice in one mapping',
    file: (v) => v.replace('    gracePeriod: 1h', '    gracePeriod: 1h\n    gracePeriod: 2h'),
    args: apply,
    message: /line 13:5: invalid YAML: Map keys must be unique/,
  },
  {
    title: 'a limitReset OpenRouter does not have',
    file: (v) => v.replace('limit: 5', 'limit: 5\n        limitReset: yearly'),
    args: apply,
    message:
      /rotations\[0\]\.openrouter\.key\.limitReset \(line 8:21\): expected one of "daily"\|"weekly"\|"monthly"/,
  },
  {
    title: 'an expiresAfter that is not a duration',
    file: (v) => v.replace('limit: 5', 'limit: 5\n        expiresAfter: soon'),
    args: apply,
    message: /rotations\[0\]\.openrouter\.key\.expiresAfter \(line 8:23\): expected a duration such as 24h/,
  },
  {
    title: 'a trafficHoldTimeout that is not a duration',
    file: (v) =>
      v.replace('    gracePeriod: 1h', '    gracePeriod: 1h\n    verify:\n      trafficHoldTimeout: forever'),
    args: apply,
    message: /rotations\[0\]\.verify\.trafficHoldTimeout \(line 14:27\): expected a duration such as 24h/,
  },
  {
    title: 'a time zone given as a number',
    file: (v) => v.replace('Europe/Berlin', '42'),
    args: apply,
    message: /rotations\[0\]\.schedule\.timezone \(line 11:17\): expected string, received number/,
  },
  {
    title: 'a file format the file destination does not write',
    file: (v, name) =>
      v.replace(`path: secrets/${name}.env`, `path: secrets/${name}.env\n        format: xml`),
    args: apply,
    message: /rotations\[0\]\.destinations\[0\]\.format \(line 16:17\): expected one of "dotenv"\|"json"/,
  },
  {
    title: 'a Vault address that is not a URL',
    file: (v) => withVaultAt(v, 'vault at port 8200'),
    args: apply,
    message:
      /rotations\[0\]\.destinations\[0\]\.address \(line 15:18\): expected an absolute URL such as https:/,
  },
  {
    title: 'a Vault address over plain http to another host',
    file: (v) => withVaultAt(v, 'http://vault.example.com:8200'),
    args: apply,
    message:
      /rotations\[0\]\.destinations\[0\]\.address \(line 15:18\): http would send credentials in clear text/,
  },
  {
    title: 'a folder given as the config file',
    args: () => ['apply', '-f', tmpdir()],
    message: /1 problem\n {2}the file cannot be read \(EISDIR\)/,
  },
  {
    title: 'a worker policy file that does not exist (apply --policy)',
    file: (v) => v,
    args: (file) => ['apply', '-f', file, '--policy', `${file}.policy-missing.yaml`],
    message: /\.policy-missing\.yaml: 1 problem\n {2}the worker policy file does not exist/,
  },
  {
    title: 'a misspelt command',
    args: (_f, name) => ['rotat', name],
    message: /unknown command 'rotat'\n\(Did you mean rotate\?\)/,
  },
  {
    title: 'a misspelt option',
    args: (_f, name) => ['rotate', name, '--gracee', '1h'],
    message: /unknown option '--gracee'\n\(Did you mean --grace\?\)/,
  },
  {
    title: 'pause without a name',
    args: () => ['pause'],
    message: /missing required argument 'name'/,
  },
];

let dir: string;
let client: Client;
let close: () => Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'config-cli-errors-'));
  ({ client, close } = await connectCliTestClient());
});
afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

describe('bad input to the key-rotator binary', () => {
  it.each(BAD_INPUTS)('$title: exit 2, says what is wrong, creates nothing', async (bad) => {
    const name = uniqueName('bad');
    const file = path.join(dir, `rotations-${name}.yaml`);
    if (bad.file) await writeFile(file, bad.file(`rotations:\n${rotationYaml(name)}`, name));
    const run = await runKeyRotator(bad.args(file, name), { env: { TEST_MGMT_KEY: 'set', ...bad.env } });

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toMatch(bad.message);
    if (bad.secret) expect(run.stdout + run.stderr).not.toContain(bad.secret);
    expect(await scheduleExists(client, name)).toBe(false);
  });

  it('changes nothing when one rotation of several is bad: the good one is not created either', async () => {
    const good = uniqueName('good');
    const bad = uniqueName('bad');
    const file = path.join(dir, `rotations-${good}.yaml`);
    await writeFile(
      file,
      `rotations:\n${rotationYaml(good)}${rotationYaml(bad).replace('intervalDays: 30', 'intervalDays: -1')}`,
    );
    const run = await runKeyRotator(['apply', '-f', file], { env: { TEST_MGMT_KEY: 'set' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/rotations\[1\]\.schedule\.intervalDays/);
    expect(await scheduleExists(client, good)).toBe(false);
    expect(await scheduleExists(client, bad)).toBe(false);
  });

  it('exits 1 with a hint about TEMPORAL_ADDRESS when Temporal cannot be reached', async () => {
    const run = await runKeyRotator(['list'], { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1: .*set TEMPORAL_ADDRESS/);
  });
});
