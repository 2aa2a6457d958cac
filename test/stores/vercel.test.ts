/** The Vercel environment variable destination against the in-repo fake written from Vercel's API reference. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotationSchema } from '../../src/config/schema.js';
import { DestinationAuthError, type DestinationError } from '../../src/errors/rotator-errors.js';
import {
  vercelEnvDestinationSchema,
  VercelEnvStore,
  type VercelEnvDestinationConfig,
  type VercelStoreDeps,
} from '../../src/stores/vercel-env/index.js';
import { findFreePort } from '../support/net.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';
import { startVercelFake, type VercelFake } from './vercel-fake.js';

const OLD_KEY = 'sk-or-v1-' + 'a'.repeat(64);
const NEW_KEY = 'sk-or-v1-' + 'b'.repeat(64);
const WRITE = { idempotencyToken: 'rotation-test-0001-store-00000000000' };
const RESTORE = { idempotencyToken: 'rotation-test-0001-restore-000000000' };
const TOKEN = 'vercel_token_0123456789abcdefghij';

let fake: VercelFake;
let counter = 0;

beforeAll(async () => {
  fake = await startVercelFake({
    token: TOKEN,
    projects: [{ name: 'web' }, { name: 'shop', teamId: 'team_acme' }],
    buildMs: 300,
  });
});
afterAll(async () => {
  await fake?.stop();
});

function store(
  overrides: Partial<VercelEnvDestinationConfig> = {},
  deps: VercelStoreDeps = {},
): { s: VercelEnvStore; key: string } {
  const config = vercelEnvDestinationSchema.parse({
    type: 'vercel-env',
    apiUrl: fake.url,
    project: 'web',
    key: `OPENROUTER_API_KEY_${++counter}`,
    auth: { token: { env: 'VERCEL_TOKEN' } },
    ...overrides,
  });
  return {
    s: new VercelEnvStore(config, { env: { VERCEL_TOKEN: TOKEN }, deployPollMs: 50, ...deps }),
    key: config.key,
  };
}

const variable = (project: string, key: string) =>
  fake.secrets().find((v) => v.project === project && v.key === key);

describe('Vercel env store against the in-repo fake', () => {
  it('creates an encrypted variable for its targets, reads it back decrypted and restores the old key', async () => {
    const { s, key } = store({ targets: ['production', 'preview'] });
    expect(await s.read()).toBeNull();
    const { version } = await s.write(NEW_KEY, WRITE);
    expect(variable('web', key)).toMatchObject({
      value: NEW_KEY,
      type: 'encrypted',
      target: ['production', 'preview'],
    });
    expect(await s.read()).toEqual({ value: NEW_KEY, version });
    expect(s.readWriteOnlyState).toBeUndefined();

    await s.restore(OLD_KEY, RESTORE);
    expect((await s.read())?.value).toBe(OLD_KEY);
    expect(fake.secrets().filter((v) => v.project === 'web' && v.key === key)).toHaveLength(1);
  });

  it.each(['encrypted', 'sensitive'] as const)(
    'repeats a retried write of a %s variable without writing or redeploying again',
    async (variableType) => {
      const { s, key } = store({ variableType, redeploy: true });
      await s.write(NEW_KEY, WRITE);
      const posts = () => fake.requests.filter((r) => r.method === 'POST').length;
      const before = { posts: posts(), deployments: fake.deployments('web').length };
      await s.write(NEW_KEY, WRITE);
      expect(posts()).toBe(before.posts);
      expect(fake.deployments('web')).toHaveLength(before.deployments);
      expect(variable('web', key)?.value).toBe(NEW_KEY);
      // Another logical write (a rollback) does write.
      await s.restore(OLD_KEY, RESTORE);
      expect(variable('web', key)?.value).toBe(OLD_KEY);
    },
  );

  it('keeps a sensitive variable write-only: no value read back, only its write time', async () => {
    const { s, key } = store({ variableType: 'sensitive' });
    expect(await s.readWriteOnlyState?.()).toBeNull();
    await s.write(NEW_KEY, WRITE);
    expect(variable('web', key)).toMatchObject({ value: NEW_KEY, type: 'sensitive' });
    expect(await s.read()).toBeNull();
    const state = await s.readWriteOnlyState?.();
    expect(state?.version).toBe(String(variable('web', key)?.updatedAt));
    expect(Date.parse(state!.updatedAt)).toBe(variable('web', key)?.updatedAt);
  });

  it('sends teamId for a team project, and says to set it when it is missing', async () => {
    const { s, key } = store({ project: 'shop', teamId: 'team_acme' });
    await s.write(NEW_KEY, WRITE);
    expect(variable('shop', key)?.value).toBe(NEW_KEY);
    expect(fake.requests.at(-1)?.query.teamId).toBe('team_acme');

    const { s: noTeam } = store({ project: 'shop' });
    const error = await noTeam.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect((error as DestinationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/404 for project shop; check project and teamId/);
  });

  it('redeploys production after a write and settles once the redeployment is READY', async () => {
    const { s } = store({ redeploy: true });
    const before = fake.deployments('web').length;
    await s.write(NEW_KEY, WRITE);
    const deployments = fake.deployments('web');
    expect(deployments).toHaveLength(before + 1);
    const redeploy = deployments.at(-1)!;
    expect(redeploy).toMatchObject({ target: 'production', redeployOf: deployments.at(-2)!.uid });

    // A retried write finds the deployment newer than the variable: no second redeploy.
    await s.write(NEW_KEY, WRITE);
    expect(fake.deployments('web')).toHaveLength(before + 1);

    await s.settle();
    expect(fake.deployments('web').at(-1)?.readyState).toBe('READY');
  });

  it('fails settle without retry when the redeployment ends in ERROR, and asks for a retry while it builds', async () => {
    const { s } = store({ redeploy: true }, { deployWaitMs: 0 });
    fake.failNextDeployment();
    await s.write(NEW_KEY, WRITE);
    const building = await s.settle().catch((e: unknown) => e);
    expect((building as DestinationError).retryable).toBe(true);
    expect((building as Error).message).toMatch(/is QUEUED; will check again/);

    await new Promise((resolve) => setTimeout(resolve, 350));
    const failed = await s.settle().catch((e: unknown) => e);
    expect((failed as DestinationError).retryable).toBe(false);
    expect((failed as Error).message).toMatch(/ended ERROR; the new key is stored but not live/);
  });

  it('reports a refused token as a non-retryable auth error without the token', async () => {
    const { s } = store({}, { env: { VERCEL_TOKEN: 'vercel_wrong_token_000000' } });
    const error = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationAuthError);
    expect((error as Error).message).toMatch(/HTTP 403: Not authorized.*project web/);
    expect((error as Error).message).not.toContain('vercel_wrong_token_000000');
  });

  it('reports a variable Vercel refused inside a 201 answer as an error', async () => {
    // The fake, like Vercel, refuses sensitive variables for development (the schema refuses them first).
    const s = new VercelEnvStore(
      {
        ...vercelEnvDestinationSchema.parse({
          type: 'vercel-env',
          apiUrl: fake.url,
          project: 'web',
          key: 'SENSITIVE_DEV',
          variableType: 'sensitive',
          auth: { token: { env: 'VERCEL_TOKEN' } },
        }),
        targets: ['development'],
      },
      { env: { VERCEL_TOKEN: TOKEN } },
    );
    const error = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /Vercel refused to write the new key: Sensitive environment variables/,
    );
  });

  it('refuses a redirect; 5xx and no server are retryable', async () => {
    const { s, key } = store();
    fake.redirectNext('https://elsewhere.example.com/steal');
    const redirected = await s.write(NEW_KEY, WRITE).catch((e: unknown) => e);
    expect((redirected as DestinationError).retryable).toBe(false);
    expect((redirected as Error).message).toMatch(/redirect \(307\).*apiUrl/);
    expect(variable('web', key)).toBeUndefined();

    fake.failNext(503);
    expect(((await s.read().catch((e: unknown) => e)) as DestinationError).retryable).toBe(true);
    const { s: down } = store({ apiUrl: `http://127.0.0.1:${await findFreePort()}` });
    const downError = await down.read().catch((e: unknown) => e);
    expect((downError as DestinationError).retryable).toBe(true);
    expect((downError as Error).message).toMatch(/could not reach Vercel/);
  });

  it('describes itself without secrets', () => {
    expect(store({ key: 'K', targets: ['production', 'preview'] }).s.description).toBe(
      'vercel-env:web/production+preview#K',
    );
    expect(store({ key: 'K', project: 'shop', teamId: 'team_acme' }).s.description).toBe(
      'vercel-env:team_acme/shop/production#K',
    );
  });
});

describe('Vercel destination config', () => {
  const vercel = { type: 'vercel-env', project: 'web', auth: { token: { env: 'VERCEL_TOKEN' } } };
  const rotation = (destinations: unknown[]) =>
    rotationSchema.safeParse({
      name: 'site-key',
      openrouter: { key: { name: 'site' } },
      schedule: { intervalDays: 30 },
      destinations,
    });

  it('lets an encrypted variable stand alone but not a sensitive one', () => {
    expect(rotation([vercel]).success).toBe(true);
    const sensitive = rotation([{ ...vercel, variableType: 'sensitive' }]);
    expect(sensitive.success).toBe(false);
    expect(sensitive.error?.issues[0]?.message).toMatch(
      /rotation "site-key" has only write-only destinations/,
    );
  });

  it('refuses redeploy without production, and sensitive variables for development', () => {
    expect(
      vercelEnvDestinationSchema.safeParse({ ...vercel, targets: ['preview'], redeploy: true }).success,
    ).toBe(false);
    expect(
      vercelEnvDestinationSchema.safeParse({ ...vercel, variableType: 'sensitive', targets: ['development'] })
        .success,
    ).toBe(false);
  });
});

describe('a rotation with a file and a sensitive Vercel variable with redeploy (real workflow, dev server)', () => {
  let h: RotationHarness;
  let vercelFake: VercelFake;

  beforeAll(async () => {
    [h, vercelFake] = await Promise.all([
      createRotationHarness(),
      startVercelFake({ token: TOKEN, projects: [{ name: 'site' }], buildMs: 1500 }),
    ]);
    h.workerEnv.VERCEL_TOKEN = TOKEN;
    h.allow({ vercelApiUrls: [vercelFake.url], credentialEnvs: ['VERCEL_TOKEN'] });
  });
  afterAll(async () => {
    await Promise.all([h?.close(), vercelFake?.stop()]);
  });

  it('stores the new key in a sensitive variable, redeploys production, ends with the redeployment READY and the old key deleted', async () => {
    const old = await h.adoptKey(['site.env']);
    vercelFake.setVariable('site', 'OPENROUTER_API_KEY', old.key, 'sensitive', ['production']);
    const rotation = h.rotation('site', {
      destinations: [
        { type: 'file', path: join(h.dir, 'site.env') },
        {
          type: 'vercel-env',
          apiUrl: vercelFake.url,
          project: 'site',
          variableType: 'sensitive',
          redeploy: true,
          auth: { token: { env: 'VERCEL_TOKEN' } },
        },
      ],
    });
    const worker = await h.worker();
    const result = await worker.runUntil(h.startRotation(rotation).then((handle) => handle.result()));

    const newKey = (await h.readKeyFrom('site.env'))!;
    expect(newKey).not.toBe(old.key);
    expect(vercelFake.secrets().find((v) => v.project === 'site')).toMatchObject({
      value: newKey,
      type: 'sensitive',
    });
    const deployments = vercelFake.deployments('site');
    expect(deployments).toHaveLength(2);
    expect(deployments[1]).toMatchObject({ redeployOf: deployments[0]!.uid, readyState: 'READY' });
    expect(result.destinations.map((d) => d.destination)).toContain(
      'vercel-env:site/production#OPENROUTER_API_KEY',
    );
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
  });
});
