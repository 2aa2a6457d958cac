/**
 * A rotated key is a drop-in replacement: what OpenRouter attaches to the old key (workspace,
 * creator, guardrail, BYOK and observability allow-lists) is on the new key before any destination
 * hands it out, the old hash leaves the allow-lists once the old key is gone, and a rollback
 * leaves the old key's attachments exactly as they were. Real dev server, real emulator.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { statusQuery } from '../../src/workflow-contract/messages.js';
import { startInfisicalFake } from '../stores/infisical-fake.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
beforeAll(async () => {
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.emulator.setFaults({});
});

/** A key made by hand in workspace `workspaceId`, written into `file`, with a guardrail and allow-lists. */
async function attachedKey(file: string) {
  const { account } = h.emulator;
  const workspace = account.addWorkspace({ name: `team-${file}` });
  const old = h.emulator.seedKey({
    name: 'made by hand',
    workspaceId: workspace.id,
    creatorUserId: 'user_owner',
    createdAt: new Date(Date.now() - 30 * 86_400_000),
  });
  const colleague = h.emulator.seedKey({ name: 'another app', workspaceId: workspace.id });
  await writeFile(join(h.dir, file), `OPENROUTER_API_KEY=${old.key}\n`, { mode: 0o600 });
  const guardrail = account.addGuardrail({ name: `cheap-${file}`, workspaceId: workspace.id });
  account.assignGuardrail(guardrail.id, [old.hash]);
  const byok = account.addByokKey({
    provider: 'openai',
    workspaceId: workspace.id,
    allowedApiKeyHashes: [colleague.hash, old.hash],
  });
  const traces = account.addObservabilityDestination({
    url: 'https://hooks.test/traces',
    workspaceId: workspace.id,
    apiKeyHashes: [old.hash],
  });
  return { old, colleague, workspace, guardrail, byok, traces };
}

/** The attachments a user would check, by key hash. */
function attachments() {
  const { account } = h.emulator.snapshot();
  return {
    guardrails: Object.fromEntries(account.guardrailAssignments.map((a) => [a.key_hash, a.guardrail_id])),
    byok: Object.fromEntries(account.byok.map((b) => [b.id, b.allowed_api_key_hashes])),
    observability: Object.fromEntries(account.observabilityDestinations.map((d) => [d.id, d.api_key_hashes])),
  };
}

describe('carry-over of what is attached to a key', () => {
  it('the new key has the same workspace, creator, guardrail and allow-list places; the old hash leaves the lists', async () => {
    const { old, colleague, workspace, guardrail, byok, traces } = await attachedKey('carry.env');
    const rotation = h.rotation('carry', {}, ['carry.env']);
    const worker = await h.worker();

    const { result, status } = await worker.runUntil(async () => {
      const handle = await h.startRotation(rotation);
      const result = await handle.result();
      return { result, status: await handle.query(statusQuery) };
    });

    expect(result.outcome).toBe('succeeded');
    const newHash = hashOfKey((await h.readKeyFrom('carry.env'))!);
    const newKey = h.emulator.snapshot().keys.find((k) => k.hash === newHash)!;
    expect(newKey.workspace_id).toBe(workspace.id);
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    const after = attachments();
    expect(after.guardrails[newHash]).toBe(guardrail.id);
    expect(after.byok[byok.id]).toEqual([colleague.hash, newHash]);
    expect(after.observability[traces.id]).toEqual([newHash]);
    expect(result.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['preflight', 'create', 'carry-over', 'store']),
    );
    expect(status.carryOver?.plan).toMatchObject({
      workspaceId: workspace.id,
      creatorUserId: 'user_owner',
      guardrail: { id: guardrail.id, source: 'inherited' },
    });
    expect(status.carryOver?.summary.join('\n')).toMatch(/guardrail "cheap-carry.env".*\n.*BYOK openai/s);
  });

  it('the new key is created for the old key’s creator in its workspace before any destination has it', async () => {
    const { workspace, guardrail } = await attachedKey('early.env');
    const rotation = h.rotation('early', { gracePeriod: '30s' }, ['early.env']);
    const worker = await h.worker();

    await worker.runUntil(async () => {
      const handle = await h.startRotation(rotation);
      for (let i = 0; i < 300 && (await handle.query(statusQuery)).step !== 'grace'; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      // The destination hands out the new key now: it must already be the drop-in replacement.
      const newHash = hashOfKey((await h.readKeyFrom('early.env'))!);
      const created = await fetch(`${h.emulator.apiBaseUrl}/keys/${newHash}`, {
        headers: { authorization: `Bearer ${h.emulator.managementKey}` },
      }).then((r) => r.json() as Promise<{ data: { workspace_id: string; creator_user_id: string } }>);
      expect(created.data).toMatchObject({ workspace_id: workspace.id, creator_user_id: 'user_owner' });
      expect(attachments().guardrails[newHash]).toBe(guardrail.id);
      await handle.terminate('test done');
    });
  });

  it('a rollback after a destination failed leaves the old key’s attachments exactly as they were', async () => {
    const infisical = await startInfisicalFake({
      clientId: 'carry-id',
      clientSecret: 'carry-secret-123',
      projects: { p1: ['prod'] },
    });
    try {
      const { old } = await attachedKey('rollback.env');
      infisical.setSecret('p1', 'prod', '/', 'OPENROUTER_API_KEY', old.key);
      infisical.requireApproval = true;
      h.workerEnv.INFISICAL_CLIENT_ID = 'carry-id';
      h.workerEnv.INFISICAL_CLIENT_SECRET = 'carry-secret-123';
      h.allow({
        infisicalSiteUrls: [infisical.siteUrl],
        credentialEnvs: ['INFISICAL_CLIENT_ID', 'INFISICAL_CLIENT_SECRET'],
      });
      const rotation = h.rotation('rollback', {
        destinations: [
          { type: 'file', path: join(h.dir, 'rollback.env') },
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
      const before = attachments();
      const worker = await h.worker();

      const error = await worker.runUntil(async () =>
        (await h.startRotation(rotation)).result().catch((e: unknown) => e),
      );

      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(String((error as WorkflowFailedError).cause?.message)).toMatch(
        /at step store and was rolled back \(.*holds the old key.*the new key was removed from .*the new key was taken off guardrail .*the new key sk-or-v1-.* was deleted\)/,
      );
      expect(attachments()).toEqual(before);
      expect(await h.readKeyFrom('rollback.env')).toBe(old.key);
      expect(h.liveKeys().filter((k) => k.name.includes('key-rotator rollback '))).toEqual([]);
    } finally {
      await infisical.stop();
    }
  });

  it('a configured guardrail is assigned on a first rotation too, and an unknown one fails preflight', async () => {
    const { id } = h.emulator.account.addGuardrail({ name: 'configured' });
    const rotation = h.rotation(
      'configured',
      {
        openrouter: {
          managementKeyEnv: 'TEST_OPENROUTER_MANAGEMENT_KEY',
          baseUrl: h.emulator.apiBaseUrl,
          guardrail: id,
          key: { name: 'configured key' },
        },
      },
      ['configured.env'],
    );
    const missing = h.rotation(
      'missing-guardrail',
      { openrouter: { ...rotation.openrouter, guardrail: 'no-such-guardrail' } },
      ['missing.env'],
    );
    const worker = await h.worker();
    const since = Date.now();

    const [result, error] = await worker.runUntil(async () => [
      await (await h.startRotation(rotation)).result(),
      await (await h.startRotation(missing)).result().catch((e: unknown) => e),
    ]);

    expect(result).toMatchObject({ outcome: 'succeeded' });
    const newHash = hashOfKey((await h.readKeyFrom('configured.env'))!);
    expect(attachments().guardrails[newHash]).toBe(id);
    // A configured guardrail is read by its id: no listing of assignments, before or after the write.
    const reads = h.emulator.snapshot().requests.filter((r) => r.receivedAt >= since && r.method === 'GET');
    expect(reads.filter((r) => r.path.includes('/assignments/keys'))).toEqual([]);
    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(
      /preflight failed, nothing was changed.*no guardrail no-such-guardrail/,
    );
    expect(h.liveKeys().filter((k) => k.name.includes('key-rotator missing-guardrail '))).toEqual([]);
  });

  it('a guardrail assigned to the old key one second before the run starts is carried, though the worker listed assignments just before', async () => {
    const { account } = h.emulator;
    const guardrail = account.addGuardrail({ name: 'assigned late' });
    const createdAt = new Date(Date.now() - 30 * 86_400_000);
    for (const file of ['early-run.env', 'late-run.env']) {
      const { key } = h.emulator.seedKey({ name: `by hand ${file}`, createdAt });
      await writeFile(join(h.dir, file), `OPENROUTER_API_KEY=${key}\n`, { mode: 0o600 });
    }
    const lateOld = hashOfKey((await h.readKeyFrom('late-run.env'))!);
    const worker = await h.worker();

    const result = await worker.runUntil(async () => {
      // This worker's index lists the account's assignments for a first rotation: the late key has none yet.
      const early = await (await h.startRotation(h.rotation('early-run', {}, ['early-run.env']))).result();
      expect(early.outcome).toBe('succeeded');
      account.assignGuardrail(guardrail.id, [lateOld]);
      await new Promise((r) => setTimeout(r, 1000));
      return (await h.startRotation(h.rotation('late-run', {}, ['late-run.env']))).result();
    });

    expect(result.outcome).toBe('succeeded');
    const newHash = hashOfKey((await h.readKeyFrom('late-run.env'))!);
    expect(newHash).not.toBe(lateOld);
    expect(attachments().guardrails[newHash]).toBe(guardrail.id);
  });

  it('a management key without guardrail or BYOK permission fails preflight, before anything is created', async () => {
    await attachedKey('forbidden.env');
    const rotation = h.rotation('forbidden', {}, ['forbidden.env']);
    const keysBefore = h.liveKeys().length;

    const failureWith = async (path: string) => {
      h.emulator.setFaults({ scripted: [{ path, status: 403, count: 100, message: 'Forbidden' }] });
      const worker = await h.worker();
      return worker.runUntil(async () => (await h.startRotation(rotation)).result().catch((e: unknown) => e));
    };
    const guardrails = await failureWith('^/api/v1/guardrails');
    const byok = await failureWith('^/api/v1/byok');

    expect(String((guardrails as WorkflowFailedError).cause?.message)).toMatch(
      /preflight failed, nothing was changed: GET \/guardrails\/assignments\/keys answered 403 "Forbidden": the management key may not read guardrails and their key assignments.*openrouter\.guardrail.*Nothing was created/,
    );
    expect(String((byok as WorkflowFailedError).cause?.message)).toMatch(
      /preflight failed.*GET \/byok answered 403 "Forbidden": the management key may not list BYOK credentials/,
    );
    expect(h.liveKeys()).toHaveLength(keysBefore);
  });

  it('carryOver auto: an account without guardrails, BYOK and observability still rotates, one line per missing feature', async () => {
    const { old } = await attachedKey('auto.env');
    h.emulator.setFaults({ missingFeatures: ['guardrails', 'byok', 'observability'] });
    const rotation = h.rotation('auto', {}, ['auto.env']);
    const worker = await h.worker();

    const { result, status } = await worker.runUntil(async () => {
      const handle = await h.startRotation(rotation);
      const result = await handle.result();
      return { result, status: await handle.query(statusQuery) };
    });

    expect(result.outcome).toBe('succeeded');
    expect(h.emulator.snapshot().keys.find((k) => k.hash === old.hash)?.deleted).toBe(true);
    const missing = result.warnings.filter((w) => w.startsWith('not carried over: '));
    expect(missing).toEqual([
      'not carried over: guardrails: GET /guardrails/assignments/keys answered 404 "Resource not found", so this account or API version has none; none were carried over (openrouter.carryOver: auto)',
      'not carried over: BYOK credentials: GET /byok answered 404 "Resource not found", so this account or API version has none; none were carried over (openrouter.carryOver: auto)',
      'not carried over: observability destinations: GET /observability/destinations answered 404 "Resource not found", so this account or API version has none; none were carried over (openrouter.carryOver: auto)',
    ]);
    expect(status.warnings).toEqual(expect.arrayContaining(missing));
    expect(status.carryOver?.summary[0]).toBe('carry-over auto');
    expect(result.warnings.join('\n')).not.toMatch(/No such/);
  });

  it('carryOver required: a feature the account lacks fails preflight, nothing created', async () => {
    await attachedKey('required.env');
    h.emulator.setFaults({ missingFeatures: ['observability'] });
    const rotation = h.rotation(
      'required',
      { openrouter: { ...h.rotation('required').openrouter, carryOver: 'required' } },
      ['required.env'],
    );
    const keysBefore = h.liveKeys().length;
    const worker = await h.worker();

    const error = await worker.runUntil(async () =>
      (await h.startRotation(rotation)).result().catch((e: unknown) => e),
    );

    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(
      /preflight failed, nothing was changed: GET \/observability\/destinations answered 404 "Resource not found": this account or API version has no observability destinations, and openrouter\.carryOver is required .*Nothing was created/,
    );
    expect(h.liveKeys()).toHaveLength(keysBefore);
  });

  it('carryOver off: 5 calls to OpenRouter, none of them a carry-over read or write', async () => {
    const { old, byok, traces } = await attachedKey('off.env');
    const rotation = h.rotation(
      'off',
      { openrouter: { ...h.rotation('off').openrouter, carryOver: 'off' } },
      ['off.env'],
    );
    const worker = await h.worker();
    const since = Date.now();

    const result = await worker.runUntil(async () => (await h.startRotation(rotation)).result());

    expect(result.outcome).toBe('succeeded');
    const calls = h.emulator.snapshot().requests.filter((r) => r.receivedAt >= since);
    expect(calls.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{64}/, '{hash}')}`)).toEqual([
      'GET /api/v1/keys/{hash}',
      'POST /api/v1/keys',
      'GET /api/v1/key',
      'DELETE /api/v1/keys/{hash}',
      'GET /api/v1/keys/{hash}',
    ]);
    const newHash = hashOfKey((await h.readKeyFrom('off.env'))!);
    const after = attachments();
    expect(after.guardrails[newHash]).toBeUndefined();
    expect(after.byok[byok.id]).not.toContain(newHash);
    expect(after.observability[traces.id]).toEqual([old.hash]);
  });
});
