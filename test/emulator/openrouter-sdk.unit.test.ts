/**
 * OpenRouter's own SDK (`@openrouter/sdk`) pointed at the emulator: the SDK validates every
 * response against OpenRouter's OpenAPI description and throws when one does not match, so these
 * calls passing proves the emulator speaks OpenRouter's wire format, errors included.
 */
import { OpenRouter } from '@openrouter/sdk';
import {
  BadRequestResponseError,
  NotFoundResponseError,
  UnauthorizedResponseError,
} from '@openrouter/sdk/models/errors';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { hashOfKey } from '../../src/openrouter/hash.js';

let emulator: RunningEmulator;
let sdk: OpenRouter;

/** An SDK client for the emulator: explicit server and key (no env reads), no retries. */
function sdkFor(apiKey: string): OpenRouter {
  return new OpenRouter({
    apiKey,
    serverURL: emulator.apiBaseUrl,
    retryConfig: { strategy: 'none' },
    timeoutMs: 10_000,
  });
}

beforeAll(async () => {
  emulator = await startEmulator();
  sdk = sdkFor(emulator.managementKey);
});

afterAll(async () => {
  await emulator.stop();
});

describe('the emulator validated by @openrouter/sdk', () => {
  it('create, list, get, update and delete pass the SDK validation', async () => {
    const created = await sdk.apiKeys.create({
      requestBody: {
        name: 'sdk-key',
        limit: 10,
        limitReset: 'weekly',
        includeByokInLimit: true,
        expiresAt: new Date('2031-06-01T12:00:00Z'),
      },
    });
    expect(created.data.hash).toBe(hashOfKey(created.key));
    expect(created.data.expiresAt).toEqual(new Date('2031-06-01T12:00:00Z'));

    emulator.seedKey({ name: 'hand-made', disabled: true });
    const listed = await sdk.apiKeys.list({ includeDisabled: true, offset: 0 });
    expect(listed.data.map((k) => k.name).sort()).toEqual(['hand-made', 'sdk-key']);
    const workspace = await sdk.apiKeys.list({ workspaceId: '11111111-2222-4333-8444-555555555555' });
    expect(workspace.data).toEqual([]);

    const fetched = await sdk.apiKeys.get({ hash: created.data.hash });
    expect(fetched.data).toMatchObject({ name: 'sdk-key', limit: 10, limitReset: 'weekly' });

    const updated = await sdk.apiKeys.update({
      hash: created.data.hash,
      requestBody: { disabled: true, name: 'sdk-key-off', limit: null, limitReset: null },
    });
    expect(updated.data).toMatchObject({ disabled: true, name: 'sdk-key-off', limit: null });

    const deleted = await sdk.apiKeys.delete({ hash: created.data.hash });
    expect(deleted.deleted).toBe(true);
  });

  it('GET /key passes the SDK validation for the management key and a normal key', async () => {
    const management = await sdk.apiKeys.getCurrentKeyMetadata();
    expect(management.data.isManagementKey).toBe(true);

    const { key } = emulator.seedKey({ name: 'current', limit: 2 });
    const normal = await sdkFor(key).apiKeys.getCurrentKeyMetadata();
    expect(normal.data).toMatchObject({ isManagementKey: false, limit: 2, limitRemaining: 2 });
  });

  it('a chat completion passes the SDK validation and counts on the key', async () => {
    const { key, hash } = emulator.seedKey({ name: 'chatty' });

    const result = await sdkFor(key).chat.send({
      chatRequest: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    });

    if (!('choices' in result)) throw new Error('expected a complete (non-streamed) answer');
    expect(result.choices[0]?.message.role).toBe('assistant');
    expect(emulator.snapshot().keys.find((k) => k.hash === hash)).toMatchObject({ request_count: 1 });
  });

  it('a key created for a member and a partner user keeps both, as the SDK reads them', async () => {
    const created = await sdk.apiKeys.create({
      requestBody: { name: 'for-member', creatorUserId: 'user_member', external: { user: 'partner-user-7' } },
    });
    const fetched = await sdk.apiKeys.get({ hash: created.data.hash });
    expect(fetched.data).toMatchObject({ creatorUserId: 'user_member', externalUser: 'partner-user-7' });
  });

  it('workspaces list and get pass the SDK validation; a key in a workspace is listed only there', async () => {
    const { id } = emulator.account.addWorkspace({ name: 'Team B', ioLoggingApiKeyIds: [17] });
    const { hash } = emulator.seedKey({ name: 'in-team-b', workspaceId: id });

    const listed = await sdk.workspaces.list();
    expect(listed.result.data.map((w) => w.name)).toEqual(['Default', 'Team B']);
    const workspace = await sdk.workspaces.get({ id });
    expect(workspace.data).toMatchObject({ id, ioLoggingApiKeyIds: [17] });
    expect(workspace.data.defaultGuardrailId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await sdk.apiKeys.list()).data.map((k) => k.hash)).not.toContain(hash);
    expect((await sdk.apiKeys.list({ workspaceId: id })).data.map((k) => k.hash)).toEqual([hash]);
  });

  it('guardrails, their key assignments, assign and bulk unassign pass the SDK validation', async () => {
    const { id } = emulator.account.addGuardrail({
      name: 'only-cheap-models',
      allowedModels: ['openai/gpt-4o-mini'],
    });
    const other = emulator.account.addGuardrail({ name: 'other' });
    const a = emulator.seedKey({ name: 'guarded-a' });
    const b = emulator.seedKey({ name: 'guarded-b' });

    const assigned = await sdk.guardrails.bulkAssignKeys({
      id,
      bulkAssignKeysRequest: { keyHashes: [a.hash, b.hash] },
    });
    expect(assigned.assignedCount).toBe(2);
    // Assigning again changes nothing: a key holds one guardrail.
    expect(
      (await sdk.guardrails.bulkAssignKeys({ id, bulkAssignKeysRequest: { keyHashes: [a.hash] } }))
        .assignedCount,
    ).toBe(0);

    const guardrail = await sdk.guardrails.get({ id });
    expect(guardrail.data).toMatchObject({
      name: 'only-cheap-models',
      allowedModels: ['openai/gpt-4o-mini'],
    });
    expect((await sdk.guardrails.list()).result.data.map((g) => g.id)).toEqual(
      expect.arrayContaining([id, other.id]),
    );

    const perGuardrail = await sdk.guardrails.listGuardrailKeyAssignments({ id });
    expect(perGuardrail.result.totalCount).toBe(2);
    expect(perGuardrail.result.data[0]).toMatchObject({
      guardrailId: id,
      keyName: 'guarded-a',
      assignedBy: null,
    });

    // Moving a key to another guardrail replaces its assignment.
    await sdk.guardrails.bulkAssignKeys({ id: other.id, bulkAssignKeysRequest: { keyHashes: [b.hash] } });
    const all = await sdk.guardrails.listKeyAssignments();
    expect(all.result.data.map((x) => [x.keyHash, x.guardrailId])).toEqual(
      expect.arrayContaining([
        [a.hash, id],
        [b.hash, other.id],
      ]),
    );

    const unassigned = await sdk.guardrails.bulkUnassignKeys({
      id,
      bulkUnassignKeysRequest: { keyHashes: [a.hash, b.hash] },
    });
    expect(unassigned.unassignedCount).toBe(1);
    await expect(sdk.guardrails.get({ id: '00000000-0000-4000-8000-0000000000ff' })).rejects.toBeInstanceOf(
      NotFoundResponseError,
    );
  });

  it('a seeded account of 10,000 keys pages as OpenRouter does (at most 100, total_count), SDK-validated', async () => {
    emulator.reset();
    onTestFinished(() => emulator.reset());
    const { keys, guardrailIds } = emulator.seedAccount({ keys: 10_000, guardrails: 4, guardrailShare: 0.9 });

    const page = await sdk.guardrails.listKeyAssignments({ offset: 8950, limit: 100 });
    expect(page.result.totalCount).toBe(9000);
    expect(page.result.data).toHaveLength(50);
    const perGuardrail = await sdk.guardrails.listGuardrailKeyAssignments({
      id: guardrailIds[0]!,
      limit: 100,
    });
    expect(perGuardrail.result.totalCount).toBe(2250);
    expect(perGuardrail.result.data).toHaveLength(100);
    await expect(sdk.guardrails.listKeyAssignments({ limit: 101 })).rejects.toMatchObject({
      statusCode: 400,
    });
    const keyPage = await sdk.apiKeys.list({ offset: 9950 });
    expect(keyPage.data).toHaveLength(50);
    const byok = await sdk.byok.list({});
    expect(byok.result.data).toHaveLength(3);
    expect(byok.result.data[0]!.allowedApiKeyHashes).toHaveLength(5);
    const traces = await sdk.observability.list({});
    expect(traces.result.data).toHaveLength(2);
    expect(new Set(byok.result.data.flatMap((b) => b.allowedApiKeyHashes ?? [])).size).toBeGreaterThan(5);
    expect(keys).toHaveLength(10_000);
  });

  it('BYOK credentials with a key allow-list: list, get and update pass the SDK validation', async () => {
    const key = emulator.seedKey({ name: 'byok-user' });
    const next = emulator.seedKey({ name: 'byok-next' });
    const { id } = emulator.account.addByokKey({ provider: 'openai', allowedApiKeyHashes: [key.hash] });
    emulator.account.addByokKey({ provider: 'anthropic', workspaceId: null });

    const listed = await sdk.byok.list({ provider: 'openai' });
    expect(listed.result.data).toHaveLength(1);
    expect(listed.result.data[0]).toMatchObject({ id, allowedApiKeyHashes: [key.hash] });
    expect((await sdk.byok.list()).result.data.map((b) => b.workspaceId)).toContain(null);

    const updated = await sdk.byok.update({
      id,
      updateBYOKKeyRequest: { allowedApiKeyHashes: [key.hash, next.hash] },
    });
    expect(updated.data.allowedApiKeyHashes).toEqual([key.hash, next.hash]);
    expect((await sdk.byok.get({ id })).data.allowedApiKeyHashes).toEqual([key.hash, next.hash]);

    await expect(
      sdk.byok.update({ id, updateBYOKKeyRequest: { allowedApiKeyHashes: ['f'.repeat(64)] } }),
    ).rejects.toBeInstanceOf(BadRequestResponseError);
  });

  it('observability destinations with a key allow-list: list, get and update pass the SDK validation', async () => {
    const key = emulator.seedKey({ name: 'traced' });
    const { id } = emulator.account.addObservabilityDestination({
      url: 'https://hooks.example.com/traces',
      apiKeyHashes: [key.hash],
    });

    const listed = await sdk.observability.list();
    expect(listed.result.data[0]).toMatchObject({ id, type: 'webhook', apiKeyHashes: [key.hash] });
    const updated = await sdk.observability.update({
      id,
      updateObservabilityDestinationRequest: { apiKeyHashes: null },
    });
    expect(updated.data).toMatchObject({ type: 'webhook', apiKeyHashes: null });
    expect((await sdk.observability.get({ id })).data).toMatchObject({ type: 'webhook', apiKeyHashes: null });
  });

  it('the analytics query counts requests per key hash, free models included, and passes the SDK validation', async () => {
    const { key, hash } = emulator.seedKey({ name: 'counted' });
    const client = sdkFor(key);
    for (const model of ['openai/gpt-4o-mini', 'meta-llama/llama-3.3-70b-instruct:free']) {
      await client.chat.send({ chatRequest: { model, messages: [{ role: 'user', content: 'hi' }] } });
    }
    const usage = emulator.snapshot().keys.find((k) => k.hash === hash)!;
    expect(usage).toMatchObject({ request_count: 2, usage: 0.0001 });

    const start = new Date(Date.now() - 3_600_000);
    const answer = await sdk.analytics.queryAnalytics({
      requestBody: {
        metrics: ['request_count'],
        granularity: 'hour',
        filters: [{ field: 'api_key_id', operator: 'eq', value: hash }],
        timeRange: { start, end: new Date(Date.now() + 60_000) },
      },
    });
    // The SDK's row model is an empty object: it validates the envelope and strips every row field.
    expect(answer.data.data).toHaveLength(1);
    expect(answer.data.metadata.truncated).toBe(false);
    expect(answer.data.warnings).toBeUndefined();

    const meta = await sdk.analytics.getAnalyticsMeta();
    expect(meta.data.metrics.map((m) => m.name)).toContain('request_count');
    expect(meta.data.granularities.map((g) => g.name)).toContain('hour');

    const unknown = await sdk.analytics.queryAnalytics({
      requestBody: {
        metrics: ['request_count'],
        filters: [{ field: 'api_key_id', operator: 'eq', value: 'a'.repeat(64) }],
      },
    });
    expect(unknown.data.warnings?.[0]).toMatch(/Could not resolve/);
  });

  it('error bodies parse as the SDK typed errors', async () => {
    await expect(sdk.apiKeys.get({ hash: '0'.repeat(64) })).rejects.toBeInstanceOf(NotFoundResponseError);
    await expect(sdk.apiKeys.delete({ hash: '0'.repeat(64) })).rejects.toBeInstanceOf(NotFoundResponseError);
    await expect(sdkFor(`sk-or-v1-${'e'.repeat(64)}`).apiKeys.list()).rejects.toBeInstanceOf(
      UnauthorizedResponseError,
    );
  });
});
