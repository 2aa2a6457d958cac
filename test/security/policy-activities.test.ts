/**
 * Each activity checks its own input before any I/O, whatever the workflow hands it: the rotation
 * against the config schema and the worker policy (the admission, decided once per call),
 * every other argument against its own schema. Behind that, the real dependencies build for an
 * admitted rotation only: no OpenRouter client, store or credential is built or read for what the
 * policy does not allow.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { createActivities } from '../../src/activities/index.js';
import { SecretSealer, type SealedSecret } from '../../src/codec/secret-sealer.js';
import type { RotationConfig } from '../../src/config/schema.js';
import { resolveSecretRef } from '../../src/fields/secret-ref.js';
import { PolicyViolationError } from '../../src/errors/rotator-errors.js';
import { secretRefViolation } from '../../src/policy/check-rotation.js';
import {
  createRotationHarness,
  MANAGEMENT_KEY_ENV,
  type RotationHarness,
} from '../support/rotation-harness.js';
import { policyFor } from '../support/worker-policy.js';

let h: RotationHarness;
let activities: ReturnType<typeof createActivities>;
let rotation: RotationConfig;
const run = new MockActivityEnvironment({
  workflowExecution: { workflowId: 'rotation-checked', runId: 'r1' },
});

beforeAll(async () => {
  h = await createRotationHarness();
  activities = createActivities(
    createDefaultDependencies({
      sealer: new SecretSealer(h.sealingKeyring),
      env: h.workerEnv,
      policy: h.policy,
    }),
  );
  await h.adoptKey(['checked.env']);
  rotation = h.rotation('checked', {}, ['checked.env']);
});
afterAll(async () => {
  await h?.close();
});

/** The failure an activity raised, as Temporal sees it; it must be a non-retryable policy refusal. */
async function refusalOf(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  expect(failure.type).toBe('PolicyViolationError');
  expect(failure.nonRetryable).toBe(true);
  return failure.message;
}

describe('activity input checks', () => {
  it('runs on valid input', async () => {
    await expect(run.run(activities.destinations.readDestinations, rotation)).resolves.toMatchObject({
      readings: [expect.objectContaining({ present: true })],
    });
  });

  it('refuses a rotation with a field the schema does not know, before reading anything', async () => {
    const before = h.emulator.snapshot().requests.length;
    const forged = { ...rotation, openrouter: { ...rotation.openrouter, proxy: 'http://127.0.0.1:1' } };
    const message = await refusalOf(run.run(activities.openRouter.checkManagementKey, forged));
    expect(message).toMatch(
      /checkManagementKey refused its input \(the rotation\): openrouter\.proxy: unknown field "proxy"/,
    );
    expect(h.emulator.snapshot().requests.length).toBe(before);
  });

  it('refuses a key hash that is not 64 lowercase hex digits', async () => {
    const before = h.emulator.snapshot().requests.length;
    const message = await refusalOf(run.run(activities.openRouter.describeKey, rotation, '../keys?offset=1'));
    expect(message).toMatch(
      /describeKey refused its input \(its arguments\): argument 2: expected a key hash/,
    );
    expect(h.emulator.snapshot().requests.length).toBe(before);
  });

  it('refuses a destination index the rotation does not have, and writes nothing', async () => {
    const file = join(h.dir, 'checked.env');
    const before = await readFile(file, 'utf8');
    const message = await refusalOf(
      run.run(
        activities.destinations.writeDestination,
        rotation,
        3,
        'sealed:v3:new-key:k:AAAA' as SealedSecret,
        'store' as const,
      ),
    );
    expect(message).toMatch(/argument 2: expected the index of one of the rotation destinations/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a value that is not a sealed key and a purpose it does not know', async () => {
    const message = await refusalOf(
      run.run(
        activities.destinations.writeDestination,
        rotation,
        0,
        // A key in clear, where only a sealed one may travel.
        'sk-or-v1-0123456789abcdef' as never,
        'overwrite' as never,
      ),
    );
    expect(message).toMatch(/argument 3: expected a sealed key .*; argument 4: /);
    expect(message).not.toContain('sk-or-v1-0123456789abcdef');
  });

  it('refuses a secret outside the policy’s target list (version 2), before any request', async () => {
    const policy = policyFor({
      version: 2,
      baseUrls: [h.emulator.apiBaseUrl],
      managementKeyEnvs: [MANAGEMENT_KEY_ENV],
      fileRoots: [h.dir],
      awsSecretIds: ['prod/openrouter/*'],
    });
    const narrow = createActivities(
      createDefaultDependencies({ sealer: new SecretSealer(h.sealingKeyring), env: h.workerEnv, policy }),
    );
    const foreign: RotationConfig = {
      ...rotation,
      destinations: [
        ...rotation.destinations,
        { type: 'aws-secrets-manager', secretId: 'prod/payments/db', region: 'eu-west-1' },
      ],
    };
    const message = await refusalOf(run.run(narrow.destinations.readDestinations, foreign));
    expect(message).toContain(
      'refuses rotation "checked": destinations[1].secretId: AWS secret prod/payments/db ' +
        "is not in the worker policy's destinations.awsSecretIds (allowed: prod/openrouter/*)",
    );
  });

  it('refuses extra arguments', async () => {
    const call = (activities.destinations.readDestinations as (...args: unknown[]) => Promise<unknown>)(
      rotation,
      {},
      'extra',
    );
    expect(await refusalOf(run.run(() => call))).toMatch(
      /readDestinations refused its input \(its arguments\): takes 2 argument\(s\), got 3/,
    );
  });
});

describe('the real dependencies refuse a rotation the activities did not admit', () => {
  const loopbackElsewhere = () => ({
    ...rotation,
    openrouter: { ...rotation.openrouter, baseUrl: 'http://127.0.0.1:1/api/v1' },
  });

  it('builds no OpenRouter client for a base URL the policy does not allow', () => {
    const deps = createDefaultDependencies({
      sealer: new SecretSealer(h.sealingKeyring),
      env: h.workerEnv,
      policy: h.policy,
    });
    expect(() => deps.openRouter(loopbackElsewhere())).toThrow(PolicyViolationError);
    expect(() => deps.stores(loopbackElsewhere())).toThrow(
      /openrouter\.baseUrl: http:\/\/127\.0\.0\.1:1\/api\/v1 is not in/,
    );
  });

  it('judges a changed copy of an admitted rotation afresh', () => {
    const deps = createDefaultDependencies({
      sealer: new SecretSealer(h.sealingKeyring),
      env: h.workerEnv,
      policy: h.policy,
    });
    const admitted = { ...rotation };
    deps.admission.admit(admitted);
    expect(() => deps.stores(admitted)).not.toThrow();
    const changed = {
      ...admitted,
      openrouter: { ...admitted.openrouter, baseUrl: 'http://127.0.0.1:1/api/v1' },
    };
    expect(() => deps.openRouter(changed)).toThrow(PolicyViolationError);
  });

  it('reads no management key from a variable the policy does not list', () => {
    const policy = policyFor({ managementKeyEnvs: ['OPENROUTER_MANAGEMENT_KEY'] });
    const env = { KEY_ROTATOR_CODEC_KEY: 'codec-secret-value', OTHER_KEY: 'other-secret-value' };
    const deps = createDefaultDependencies({ sealer: new SecretSealer(h.sealingKeyring), env, policy });
    const keyIn = (managementKeyEnv: string) => ({
      ...rotation,
      openrouter: { ...rotation.openrouter, managementKeyEnv },
    });
    expect(() => deps.openRouter(keyIn('KEY_ROTATOR_CODEC_KEY'))).toThrow(
      /KEY_ROTATOR_CODEC_KEY is one of the worker's own variables/,
    );
    expect(() => deps.openRouter(keyIn('OTHER_KEY'))).toThrow(
      /OTHER_KEY is not in the worker policy's openrouter\.managementKeyEnvs/,
    );
  });

  it('reads no credential file or variable the policy does not allow', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'security-policy-ref-'));
    try {
      await writeFile(join(dir, 'token'), 'file-secret-value\n');
      const policy = policyFor({ credentialEnvs: ['VAULT_*'], credentialFileRoots: [join(dir, 'allowed')] });
      const refuse = (ref: { env?: string; file?: string }) => secretRefViolation(ref, policy, dir);
      const env = { VAULT_TOKEN: 'env-secret-value', GITHUB_TOKEN: 'gh-secret-value' };
      expect(resolveSecretRef({ env: 'VAULT_TOKEN' }, 'the Vault token', { env, refuse })).toBe(
        'env-secret-value',
      );
      expect(() => resolveSecretRef({ env: 'GITHUB_TOKEN' }, 'the Vault token', { env, refuse })).toThrow(
        /the Vault token: GITHUB_TOKEN is not in the worker policy's credentials\.envs \(allowed: VAULT_\*\)/,
      );
      expect(() => resolveSecretRef({ file: 'token' }, 'the Vault token', { cwd: dir, refuse })).toThrow(
        /token is not inside a folder of the worker policy's credentials\.fileRoots/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
