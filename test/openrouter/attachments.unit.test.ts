/**
 * Contract tests of the OpenRouter client for what is attached to a key besides its record
 * (workspaces, guardrails, BYOK and observability allow-lists) and for request counts from the
 * analytics API, against the in-process emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { createOpenRouterClient, type OpenRouterClient } from '../../src/openrouter/client.js';
import {
  OpenRouterBadRequestError,
  OpenRouterNotFoundError,
  OpenRouterPermissionError,
  OpenRouterResponseError,
} from '../../src/openrouter/errors.js';

let emulator: RunningEmulator;
let client: OpenRouterClient;

beforeAll(async () => {
  emulator = await startEmulator();
  client = createOpenRouterClient({ baseUrl: emulator.apiBaseUrl, managementKey: emulator.managementKey });
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  emulator.reset();
});

async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

async function complete(key: string, model: string): Promise<void> {
  const res = await fetch(`${emulator.apiBaseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
}

describe('workspaces and key creation', () => {
  it('reads a workspace with its I/O logging key ids, and 404 names the workspace', async () => {
    const { id } = emulator.account.addWorkspace({ name: 'Team', ioLoggingApiKeyIds: [3, 4] });

    expect(await client.getWorkspace(id)).toMatchObject({ id, name: 'Team', ioLoggingApiKeyIds: [3, 4] });
    expect((await client.listWorkspaces()).map((w) => w.name)).toEqual(['Default', 'Team']);
    const err = await failureOf(() => client.getWorkspace('00000000-0000-4000-8000-00000000dead'));
    expect(err).toBeInstanceOf(OpenRouterNotFoundError);
    expect((err as Error).message).toMatch(/OpenRouter has no workspace at that id/);
  });

  it('creates a key for a member and a partner user, and reads both back', async () => {
    const created = await client.createKey({
      name: 'member',
      creatorUserId: 'user_1',
      externalUser: 'ext-9',
    });

    expect(await client.getKey(created.data.hash)).toMatchObject({
      creatorUserId: 'user_1',
      externalUser: 'ext-9',
    });
  });
});

describe('guardrail assignments by key hash', () => {
  it('assigns, lists (all and per guardrail, across pages) and unassigns, idempotently', async () => {
    const { id } = emulator.account.addGuardrail({ name: 'cheap' });
    const hashes = Array.from({ length: 105 }, (_, i) => emulator.seedKey({ name: `k${i}` }).hash);

    expect(await client.assignGuardrail(id, hashes)).toEqual({ assignedCount: 105 });
    expect(await client.assignGuardrail(id, [hashes[0]!])).toEqual({ assignedCount: 0 });
    expect(await client.getGuardrail(id)).toMatchObject({ id, name: 'cheap' });
    const all = await client.listKeyAssignments();
    expect(new Set(all.map((a) => a.keyHash))).toEqual(new Set(hashes));
    expect((await client.listKeyAssignments({ guardrailId: id })).length).toBe(105);

    expect(await client.unassignGuardrail(id, hashes.slice(0, 5))).toEqual({ unassignedCount: 5 });
    expect(await client.unassignGuardrail(id, hashes.slice(0, 5))).toEqual({ unassignedCount: 0 });
    expect((await client.listKeyAssignments({ guardrailId: id })).length).toBe(100);
  });

  it('a deleted key loses its assignment', async () => {
    const { id } = emulator.account.addGuardrail({ name: 'g' });
    const { hash } = emulator.seedKey({ name: 'gone' });
    await client.assignGuardrail(id, [hash]);

    await client.deleteKey(hash);

    expect(await client.listKeyAssignments()).toEqual([]);
  });

  it('403 for a management key without guardrail permission says so', async () => {
    emulator.setFaults({ scripted: [{ path: '^/api/v1/guardrails', status: 403, message: 'Forbidden' }] });

    const err = await failureOf(() => client.listKeyAssignments());

    expect(err).toBeInstanceOf(OpenRouterPermissionError);
    expect((err as Error).message).toMatch(/may not use OpenRouter's guardrail endpoints/);
  });
});

describe('allow-lists of key hashes', () => {
  it('BYOK: lists a workspace (global credentials included), replaces the allow-list, refuses foreign hashes', async () => {
    const team = emulator.account.addWorkspace({ name: 'Team' });
    const a = emulator.seedKey({ name: 'a', workspaceId: team.id });
    const b = emulator.seedKey({ name: 'b', workspaceId: team.id });
    const { id } = emulator.account.addByokKey({
      provider: 'openai',
      workspaceId: team.id,
      allowedApiKeyHashes: [a.hash],
    });
    const global = emulator.account.addByokKey({ provider: 'anthropic', workspaceId: null });

    expect((await client.listByokKeys()).map((k) => k.id)).toEqual([global.id]);
    const inTeam = await client.listByokKeys({ workspaceId: team.id });
    expect(inTeam.map((k) => k.id).sort()).toEqual([id, global.id].sort());

    const updated = await client.setByokAllowedKeys(id, [a.hash, b.hash]);
    expect(updated.allowedApiKeyHashes).toEqual([a.hash, b.hash]);
    expect((await client.getByokKey(id)).allowedApiKeyHashes).toEqual([a.hash, b.hash]);
    expect(await failureOf(() => client.setByokAllowedKeys(id, []))).toBeInstanceOf(
      OpenRouterBadRequestError,
    );
    expect(await failureOf(() => client.setByokAllowedKeys(id, ['e'.repeat(64)]))).toBeInstanceOf(
      OpenRouterBadRequestError,
    );
  });

  it('observability destinations: lists, reads and replaces the keys whose traffic they forward', async () => {
    const { hash } = emulator.seedKey({ name: 'traced' });
    const { id } = emulator.account.addObservabilityDestination({
      url: 'https://hooks.test/x',
      apiKeyHashes: [hash],
    });

    expect(await client.listObservabilityDestinations()).toMatchObject([
      { id, type: 'webhook', apiKeyHashes: [hash] },
    ]);
    expect((await client.setObservabilityKeys(id, null)).apiKeyHashes).toBeNull();
    expect((await client.getObservabilityDestination(id)).apiKeyHashes).toBeNull();
  });
});

describe('request counts from the analytics API', () => {
  it('counts every request of one key, free models included, where USD usage does not move', async () => {
    const { key, hash } = emulator.seedKey({ name: 'free-only' });
    const other = emulator.seedKey({ name: 'other' });
    const start = new Date(Date.now() - 60_000);
    for (let i = 0; i < 3; i++) await complete(key, 'meta-llama/llama-3.3-70b-instruct:free');
    await complete(other.key, 'openai/gpt-4o-mini');

    const counted = await client.countRequests(hash, { start, end: new Date(Date.now() + 60_000) });

    expect(counted).toEqual({ requests: 3, truncated: false, warnings: [] });
    expect((await client.getKey(hash)).usage).toBe(0);
  });

  it('passes on the warning for a hash OpenRouter cannot resolve', async () => {
    const counted = await client.countRequests('c'.repeat(64), {
      start: new Date(Date.now() - 60_000),
      end: new Date(),
    });

    expect(counted.requests).toBe(0);
    expect(counted.warnings.join(' ')).toMatch(/Could not resolve/);
  });

  it('rows without the metric are an unexpected body', async () => {
    const broken = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: emulator.managementKey,
      fetch: async () =>
        new Response(JSON.stringify({ data: { data: [{ requests: 4 }], metadata: { truncated: false } } }), {
          status: 200,
        }),
    });

    const err = await failureOf(() =>
      broken.countRequests('c'.repeat(64), { start: new Date(0), end: new Date() }),
    );

    expect(err).toBeInstanceOf(OpenRouterResponseError);
    expect((err as Error).message).toMatch(/request_count/);
  });
});

describe('guardrail assignments in a large account', () => {
  /** A client that counts its calls and runs `between` after the first answer. */
  function countingClient(between?: () => void) {
    const calls: string[] = [];
    const counted = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: emulator.managementKey,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        calls.push(String(input).replace(emulator.apiBaseUrl, ''));
        if (calls.length === 1) between?.();
        return res;
      },
    });
    return { counted, calls };
  }

  it('lists every assignment with overlapping pages, each once, and calls it settled', async () => {
    const { keys, guardrailIds } = emulator.seedAccount({ keys: 250, guardrails: 3, guardrailShare: 1 });
    const { counted, calls } = countingClient();

    const listing = await counted.listKeyAssignmentsSettled();

    expect(listing.settled).toBe(true);
    expect(listing.items.map((a) => a.keyHash).sort()).toEqual(keys.map((k) => k.hash).sort());
    expect(new Set(listing.items.map((a) => a.guardrailId))).toEqual(new Set(guardrailIds));
    expect(calls).toEqual([
      '/guardrails/assignments/keys?offset=0&limit=100',
      '/guardrails/assignments/keys?offset=90&limit=100',
      '/guardrails/assignments/keys?offset=180&limit=100',
    ]);
  });

  it('says it is not settled when assignments were removed between two pages (one may be skipped)', async () => {
    const { keys, guardrailIds } = emulator.seedAccount({ keys: 250, guardrails: 1, guardrailShare: 1 });
    const { counted } = countingClient(() => {
      // 20 keys of the first page lose their guardrail: every later item moves 20 places up.
      emulator.account.unassignGuardrail(
        guardrailIds[0]!,
        keys.slice(0, 20).map((k) => k.hash),
      );
    });

    const listing = await counted.listKeyAssignmentsSettled();

    expect(listing.settled).toBe(false);
  });

  it('checks one key’s assignment at the two ends of a guardrail’s keys: two pages for 10,000 keys', async () => {
    const { keys, guardrailIds } = emulator.seedAccount({
      keys: 10_000,
      guardrails: 1,
      guardrailShare: 0.99,
    });
    const [id] = guardrailIds;
    const newest = keys.at(-1)!.hash;
    await client.assignGuardrail(id!, [newest]);
    const { counted, calls } = countingClient();

    expect(await counted.isAssignedRecently(id!, newest)).toBe(true);
    expect(calls).toEqual([
      `/guardrails/${id}/assignments/keys?offset=0&limit=100`,
      `/guardrails/${id}/assignments/keys?offset=9801&limit=100`,
    ]);
    expect(await counted.isAssignedRecently(id!, keys[5000]!.hash)).toBe(false);
  });
});
