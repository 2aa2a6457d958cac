import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationConfig } from '../../src/config/schema.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import {
  endGraceSignal,
  pauseSignal,
  resumeSignal,
  statusQuery,
  type RotationOptions,
} from '../../src/workflow-contract/messages.js';
import type { rotationWorkflow } from '../../src/workflows/rotation-workflow.js';
import { startInfisicalFake } from '../stores/infisical-fake.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;

beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

function start(
  rotation: RotationConfig,
  options: RotationOptions = {},
): Promise<WorkflowHandle<typeof rotationWorkflow>> {
  return h.startRotation(rotation, options);
}

async function waitForStep(handle: WorkflowHandle, step: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status?.step === step) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`rotation never reached step ${step}`);
}

function managedKeys(name: string) {
  return h.liveKeys().filter((k) => k.name.includes(`key-rotator ${name} `));
}

describe('rotation workflow', () => {
  it('adopts a hand-placed key: new key in the file, old key deleted, exactly one live key', async () => {
    const old = await h.adoptKey(['happy.env']);
    const rotation = h.rotation('happy', {}, ['happy.env']);
    const worker = await h.worker();
    const result = await worker.runUntil(async () => (await start(rotation)).result());

    const stored = await h.readKeyFrom('happy.env');
    expect(stored).toMatch(/^sk-or-v1-/);
    expect(stored).not.toBe(old.key);
    expect(result.outcome).toBe('succeeded');
    expect(result.newKey?.hash).toBe(hashOfKey(stored!));
    expect(result.oldKeyHash).toBe(old.hash);
    expect(result.oldKeyDeleted).toBe(true);
    // No doubts: the new key's hash is sha256 of the key, destinations agreed, nothing was held.
    expect(result.warnings).toEqual([]);
    expect(result.destinations).toHaveLength(1);
    expect(result.steps.map((s) => s.step)).toEqual([
      'preflight',
      'create',
      'store',
      'grace',
      'verify',
      'delete',
      'done',
    ]);
    expect(JSON.stringify(result)).not.toContain(stored);

    const live = h.liveKeys();
    expect(live.map((k) => k.hash)).toEqual([hashOfKey(stored!)]);
    expect(live[0]!.label).toBe(result.newKey!.label);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    // Other lines of the file survive.
    expect(
      await import('node:fs/promises').then((fs) => fs.readFile(join(h.dir, 'happy.env'), 'utf8')),
    ).toContain('OTHER=1');
  });

  it('holds while paused, even past the end of the grace timer, and finishes after resume', async () => {
    const old = await h.adoptKey(['paused.env']);
    const rotation = h.rotation('paused', { gracePeriod: '2s' }, ['paused.env']);
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const handle = await start(rotation);
      await waitForStep(handle, 'grace');
      await handle.signal(pauseSignal, 'investigating');
      await new Promise((r) => setTimeout(r, 4_000)); // well past the 2 s timer
      const status = await handle.query(statusQuery);
      expect(status.step).toBe('grace');
      expect(status.paused).toBe(true);
      expect(status.pauseReason).toBe('investigating');
      expect(status.oldKeyLabel).toBeDefined();
      expect(status.newKeyLabel).toBeDefined();
      expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(false);
      expect(managedKeys('paused')).toHaveLength(1);

      await handle.signal(resumeSignal);
      const result = await handle.result();
      expect(result.outcome).toBe('succeeded');
      expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    });
  });

  it('ends the grace period early on request', async () => {
    await h.adoptKey(['early.env']);
    const rotation = h.rotation('early', { gracePeriod: '1h' }, ['early.env']);
    const worker = await h.worker();
    const result = await worker.runUntil(async () => {
      const handle = await start(rotation);
      await waitForStep(handle, 'grace');
      await handle.signal(endGraceSignal);
      return handle.result();
    });
    expect(result.outcome).toBe('succeeded');
  });

  it('rolls back when a destination cannot be written: the old key stays everywhere, the new key is deleted', async () => {
    // Infisical with a change-approval policy: the write is only a pending change request.
    const infisical = await startInfisicalFake({
      clientId: 'rotator-id',
      clientSecret: 'rotator-secret-123',
      projects: { p1: ['prod'] },
    });
    try {
      const old = await h.adoptKey(['first.env']);
      infisical.setSecret('p1', 'prod', '/', 'OPENROUTER_API_KEY', old.key);
      infisical.requireApproval = true;
      h.workerEnv.INFISICAL_CLIENT_ID = 'rotator-id';
      h.workerEnv.INFISICAL_CLIENT_SECRET = 'rotator-secret-123';
      h.allow({
        infisicalSiteUrls: [infisical.siteUrl],
        credentialEnvs: ['INFISICAL_CLIENT_ID', 'INFISICAL_CLIENT_SECRET'],
      });
      const rotation = h.rotation('storefail', {
        destinations: [
          { type: 'file', path: join(h.dir, 'first.env') },
          {
            type: 'infisical',
            siteUrl: infisical.siteUrl,
            projectId: 'p1',
            environment: 'prod',
            auth: {
              clientId: { env: 'INFISICAL_CLIENT_ID' },
              clientSecret: { env: 'INFISICAL_CLIENT_SECRET' },
            },
          },
        ],
      });
      const worker = await h.worker();
      const error = await worker.runUntil(async () =>
        (await start(rotation)).result().catch((e: unknown) => e),
      );

      expect(error).toBeInstanceOf(WorkflowFailedError);
      const message = String((error as WorkflowFailedError).cause?.message);
      expect(message).toMatch(/at step store and was rolled back/);
      expect(message).toContain('infisical:');
      expect(message).toMatch(/approval/i);
      expect(await h.readKeyFrom('first.env')).toBe(old.key);
      expect(infisical.getSecret('p1', 'prod', '/', 'OPENROUTER_API_KEY')?.value).toBe(old.key);
      expect(managedKeys('storefail')).toHaveLength(0);
      expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
    } finally {
      await infisical.stop();
    }
  });

  it('rolls back when the new key does not verify', async () => {
    const old = await h.adoptKey(['verify.env']);
    h.emulator.setFaults({ freshKeyUnauthorizedMs: 60_000 });
    try {
      const rotation = h.rotation('verifyfail', { verify: { newKeyWindow: '2s' } }, ['verify.env']);
      const worker = await h.worker();
      const error = await worker.runUntil(async () =>
        (await start(rotation)).result().catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(String((error as WorkflowFailedError).cause?.message)).toMatch(/rolled back.*401/);
    } finally {
      h.emulator.setFaults({});
    }
    expect(await h.readKeyFrom('verify.env')).toBe(old.key);
    expect(managedKeys('verifyfail')).toHaveLength(0);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
  });

  it('survives a dropped create response and storms of 5xx and 429 without orphan keys', async () => {
    const old = await h.adoptKey(['storm.env']);
    h.emulator.setFaults({
      dropCreateResponses: 1,
      serverErrorRate: 0.15,
      rateLimitRate: 0.15,
      retryAfterSeconds: 1,
    });
    try {
      const rotation = h.rotation('storm', {}, ['storm.env']);
      const worker = await h.worker();
      const result = await worker.runUntil(async () => (await start(rotation)).result());
      expect(result.outcome).toBe('succeeded');
    } finally {
      h.emulator.setFaults({});
    }
    const stored = await h.readKeyFrom('storm.env');
    const managed = managedKeys('storm');
    expect(managed.map((k) => k.hash)).toEqual([hashOfKey(stored!)]);
    // The key whose create response was dropped existed, and was cleaned up by the retry.
    const created = h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator storm '));
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect(created.filter((k) => !k.deleted)).toHaveLength(1);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(false);
    const statuses = h.emulator.snapshot().requests.map((r) => r.status);
    expect(statuses).toContain(0); // the dropped create
    expect(statuses).toContain(429);
    expect(statuses.some((s) => s >= 500)).toBe(true);
  });

  it('rolls back a create that failed after an attempt whose answer was lost, deleting the key it made', async () => {
    const old = await h.adoptKey(['lostcreate.env']);
    // Attempt 1 makes the key and loses the answer; attempt 2 cannot look for it (400 is final),
    // so the create step fails with a key of this run at OpenRouter that only its name can find.
    h.emulator.setFaults({
      dropCreateResponses: 1,
      scripted: [{ method: 'GET', path: '^/api/v1/keys$', status: 400, count: 1 }],
    });
    try {
      const rotation = h.rotation('lostcreate', {}, ['lostcreate.env']);
      const worker = await h.worker();
      const error = await worker.runUntil(async () =>
        (await start(rotation)).result().catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const message = String((error as WorkflowFailedError).cause?.message);
      expect(message).toMatch(/at step create and was rolled back/);
      expect(message).toMatch(/1 key\(s\) made by creates whose answer was lost were deleted/);
    } finally {
      h.emulator.setFaults({});
    }
    const made = h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator lostcreate '));
    expect(made).toHaveLength(1);
    expect(made[0]?.deleted).toBe(true);
    expect(managedKeys('lostcreate')).toHaveLength(0);
    expect(await h.readKeyFrom('lostcreate.env')).toBe(old.key);
    expect(h.liveKeys().some((k) => k.hash === old.hash)).toBe(true);
  });

  it('refuses to start when destinations disagree, and changes nothing', async () => {
    const a = await h.adoptKey(['agree-a.env']);
    const b = await h.adoptKey(['agree-b.env']);
    const rotation = h.rotation('disagree', {}, ['agree-a.env', 'agree-b.env']);
    const before = h.emulator.snapshot().keys.length;
    const worker = await h.worker();
    const error = await worker.runUntil(async () =>
      (await start(rotation)).result().catch((e: unknown) => e),
    );
    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(/preflight failed.*disagree/);
    expect(h.emulator.snapshot().keys.length).toBe(before);
    expect(await h.readKeyFrom('agree-a.env')).toBe(a.key);
    expect(await h.readKeyFrom('agree-b.env')).toBe(b.key);
  });

  it('refuses to adopt a key OpenRouter does not know, and creates nothing', async () => {
    await writeFile(join(h.dir, 'stranger.env'), `OPENROUTER_API_KEY=sk-or-v1-${'ab'.repeat(32)}\n`, {
      mode: 0o600,
    });
    const rotation = h.rotation('stranger', {}, ['stranger.env']);
    const before = h.emulator.snapshot().keys.length;
    const worker = await h.worker();
    const error = await worker.runUntil(async () =>
      (await start(rotation)).result().catch((e: unknown) => e),
    );
    const message = String((error as WorkflowFailedError).cause?.message);
    expect(message).toMatch(/not a key of this OpenRouter account/);
    expect(message).not.toContain('ab'.repeat(32));
    expect(h.emulator.snapshot().keys.length).toBe(before);
  });

  it('bootstraps destinations that hold no key yet: creates and stores one, deletes nothing', async () => {
    const rotation = h.rotation('bootstrap', {}, ['fresh.env']);
    const before = h.liveKeys().length;
    const worker = await h.worker();
    const result = await worker.runUntil(async () => (await start(rotation)).result());
    expect(result.outcome).toBe('succeeded');
    expect(result.oldKeyHash).toBeUndefined();
    expect(result.warnings.join(' ')).toContain('no destination holds a key yet');
    const stored = (await h.readKeyFrom('fresh.env'))!;
    expect(h.liveKeys().map((k) => k.hash)).toContain(hashOfKey(stored));
    expect(h.liveKeys().length).toBe(before + 1);
  });

  it('on a failed first rotation, keeps the new key alive where a destination already holds it', async () => {
    const infisical = await startInfisicalFake({
      clientId: 'boot-id',
      clientSecret: 'boot-secret-123',
      projects: { p2: ['prod'] },
    });
    try {
      infisical.requireApproval = true;
      h.workerEnv.BOOT_CLIENT_ID = 'boot-id';
      h.workerEnv.BOOT_CLIENT_SECRET = 'boot-secret-123';
      h.allow({
        infisicalSiteUrls: [infisical.siteUrl],
        credentialEnvs: ['BOOT_CLIENT_ID', 'BOOT_CLIENT_SECRET'],
      });
      const rotation = h.rotation('bootfail', {
        destinations: [
          { type: 'file', path: join(h.dir, 'boot.env') },
          {
            type: 'infisical',
            siteUrl: infisical.siteUrl,
            projectId: 'p2',
            environment: 'prod',
            auth: { clientId: { env: 'BOOT_CLIENT_ID' }, clientSecret: { env: 'BOOT_CLIENT_SECRET' } },
          },
        ],
      });
      const worker = await h.worker();
      const error = await worker.runUntil(async () =>
        (await start(rotation)).result().catch((e: unknown) => e),
      );
      const message = String((error as WorkflowFailedError).cause?.message);
      expect(message).toMatch(/could not be fully undone.*keeps the new one.*new key was kept/);
      const stored = (await h.readKeyFrom('boot.env'))!;
      expect(h.liveKeys().map((k) => k.hash)).toContain(hashOfKey(stored));
    } finally {
      await infisical.stop();
    }
  });

  it('runs one rotation per key at a time', async () => {
    await h.adoptKey(['single.env']);
    const rotation = h.rotation('single', { gracePeriod: '1h' }, ['single.env']);
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const handle = await start(rotation);
      await expect(start(rotation)).rejects.toThrow(/already started/i);
      await handle.signal(endGraceSignal);
      await handle.result();
    });
  });
});
