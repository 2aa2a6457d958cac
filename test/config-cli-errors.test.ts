/**
 * Bad input through the real `key-rotator` binary: exit code 2, a message that names the problem,
 * and nothing created in Temporal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCliTestClient, runKeyRotator, scheduleExists, uniqueName } from './support/cli.js';

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
  file?: (valid: string, name: string) => string;
  /** The command line; `file` is the path of the written file. */
  args: (file: string, name: string) => string[];
  env?: Record<string, string | undefined>;
  message: RegExp;
  /** Text that must not appear anywhere in the output (a pasted secret). */
  secret?: string;
}

const apply = (file: string) => ['apply', '-f', file];

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
