/**
 * Contract tests of the OpenRouter client against the in-process emulator: every endpoint, every
 * error class, paging, and the failures a rotation must survive (lost create responses, timeouts).
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { createOpenRouterClient, type OpenRouterClient } from '../../src/openrouter/client.js';
import {
  OpenRouterAuthError,
  OpenRouterBadRequestError,
  OpenRouterNetworkError,
  OpenRouterNotFoundError,
  OpenRouterPaymentError,
  OpenRouterPermissionError,
  OpenRouterRateLimitError,
  OpenRouterResponseError,
  OpenRouterServerError,
} from '../../src/openrouter/errors.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { isOpenRouterApiKey } from '../../src/openrouter/schemas.js';
import { labelOfKey } from '../../src/errors/redact.js';

const WORKSPACE = '11111111-2222-4333-8444-555555555555';

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

/** Runs `call` and returns what it threw (fails the test if it did not throw). */
async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('key management calls', () => {
  it('creates a key: the secret is the top-level key and the hash is its sha256', async () => {
    const created = await client.createKey({ name: 'app-key', limit: 5, limitReset: 'monthly' });

    expect(created.key).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
    expect(created.data.hash).toBe(hashOfKey(created.key));
    expect(created.data.label).toBe(labelOfKey(created.key));
    expect(created.data).toMatchObject({ name: 'app-key', disabled: false, limit: 5, limitReset: 'monthly' });
    expect(emulator.snapshot().keys).toMatchObject([
      { hash: created.data.hash, name: 'app-key', deleted: false },
    ]);
  });

  it('sends the create body in snake_case with expires_at in seconds and Z', async () => {
    const bodies: unknown[] = [];
    const recording = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: emulator.managementKey,
      fetch: async (input, init) => {
        bodies.push(JSON.parse(String(init?.body)));
        return fetch(input, init);
      },
    });

    const created = await recording.createKey({
      name: 'expiring',
      limit: null,
      limitReset: null,
      includeByokInLimit: false,
      expiresAt: new Date('2030-01-01T00:00:00.123Z'),
      workspaceId: WORKSPACE,
    });

    expect(bodies).toEqual([
      {
        name: 'expiring',
        limit: null,
        limit_reset: null,
        include_byok_in_limit: false,
        expires_at: '2030-01-01T00:00:00Z',
        workspace_id: WORKSPACE,
      },
    ]);
    expect(created.data).toMatchObject({ workspaceId: WORKSPACE, includeByokInLimit: false });
    expect(new Date(created.data.expiresAt ?? '').toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('lists every key across pages, newest first', async () => {
    const base = Date.parse('2024-01-01T00:00:00Z');
    for (let i = 0; i < 260; i++) {
      emulator.seedKey({ name: `seeded-${i}`, createdAt: new Date(base + i * 60_000) });
    }

    const keys = await client.listKeys();

    expect(keys).toHaveLength(260);
    expect(new Set(keys.map((k) => k.hash)).size).toBe(260);
    expect(keys[0]?.name).toBe('seeded-259');
    expect(keys[259]?.name).toBe('seeded-0');
    const listCalls = emulator.snapshot().requests.filter((r) => r.path.startsWith('/api/v1/keys?'));
    expect(listCalls.map((r) => new URLSearchParams(r.path.split('?')[1]).get('offset'))).toEqual([
      '0',
      '100',
      '200',
    ]);
  });

  it('lists disabled keys only with includeDisabled', async () => {
    emulator.seedKey({ name: 'active' });
    emulator.seedKey({ name: 'switched-off', disabled: true });

    expect((await client.listKeys()).map((k) => k.name)).toEqual(['active']);
    const all = await client.listKeys({ includeDisabled: true });
    expect(all.map((k) => k.name).sort()).toEqual(['active', 'switched-off']);
    expect(all.find((k) => k.name === 'switched-off')?.disabled).toBe(true);
  });

  it('lists another workspace only when asked for it', async () => {
    await client.createKey({ name: 'default-ws' });
    await client.createKey({ name: 'other-ws', workspaceId: WORKSPACE });

    expect((await client.listKeys()).map((k) => k.name)).toEqual(['default-ws']);
    expect((await client.listKeys({ workspaceId: WORKSPACE })).map((k) => k.name)).toEqual(['other-ws']);
  });

  it('gets one key by hash', async () => {
    const created = await client.createKey({ name: 'lookup' });

    const record = await client.getKey(created.data.hash);

    expect(record).toMatchObject({
      hash: created.data.hash,
      name: 'lookup',
      label: created.data.label,
      usage: 0,
    });
  });

  it('deletes a key, and a second delete reports it already gone', async () => {
    const created = await client.createKey({ name: 'to-delete' });

    expect(await client.deleteKey(created.data.hash)).toEqual({ alreadyGone: false });
    expect(await client.deleteKey(created.data.hash)).toEqual({ alreadyGone: true });
    expect(await client.deleteKey('0'.repeat(64))).toEqual({ alreadyGone: true });
    expect(emulator.snapshot().keys).toMatchObject([{ hash: created.data.hash, deleted: true }]);
    expect(await failureOf(() => client.getKey(created.data.hash))).toBeInstanceOf(OpenRouterNotFoundError);
  });

  it('describes the management key and a normal key with GET /key', async () => {
    const created = await client.createKey({ name: 'current', limit: 3 });

    const management = await client.currentKey();
    const normal = await client.currentKey({ key: created.key });

    expect(management).toMatchObject({ isManagementKey: true, label: labelOfKey(emulator.managementKey) });
    expect(normal).toMatchObject({
      isManagementKey: false,
      label: created.data.label,
      limit: 3,
      limitRemaining: 3,
    });
  });
});

describe('failures become typed errors', () => {
  it('404 on get is OpenRouterNotFoundError with status, code and message', async () => {
    const err = await failureOf(() => client.getKey('f'.repeat(64)));

    expect(err).toBeInstanceOf(OpenRouterNotFoundError);
    expect(err).toMatchObject({
      name: 'OpenRouterNotFoundError',
      status: 404,
      code: 404,
      apiMessage: 'Resource not found',
      retryable: false,
    });
  });

  it('401 for a wrong management key is OpenRouterAuthError, not retryable', async () => {
    const wrong = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: `sk-or-v1-${'ab'.repeat(32)}`,
    });

    const err = await failureOf(() => wrong.listKeys());

    expect(err).toBeInstanceOf(OpenRouterAuthError);
    expect(err).toMatchObject({ status: 401, retryable: false });
  });

  it('403 when a normal key is used as management key', async () => {
    const { key } = emulator.seedKey({ name: 'normal' });
    const normal = createOpenRouterClient({ baseUrl: emulator.apiBaseUrl, managementKey: key });

    const err = await failureOf(() => normal.createKey({ name: 'nope' }));

    expect(err).toBeInstanceOf(OpenRouterPermissionError);
    expect(err).toMatchObject({
      status: 403,
      retryable: false,
      apiMessage: 'Only management keys can perform this operation',
    });
  });

  it('400 for invalid parameters is OpenRouterBadRequestError', async () => {
    const err = await failureOf(() => client.createKey({ name: 'bad', limit: -1 }));

    expect(err).toBeInstanceOf(OpenRouterBadRequestError);
    expect(err).toMatchObject({ status: 400, retryable: false });
  });

  it('402 is OpenRouterPaymentError', async () => {
    emulator.setFaults({ scripted: [{ method: 'POST', path: '^/api/v1/keys$', status: 402 }] });

    const err = await failureOf(() => client.createKey({ name: 'broke' }));

    expect(err).toBeInstanceOf(OpenRouterPaymentError);
    expect(err).toMatchObject({ status: 402, retryable: false });
  });

  it('429 is retryable and carries Retry-After in milliseconds', async () => {
    emulator.setFaults({ scripted: [{ path: '^/api/v1/keys$', status: 429, retryAfterSeconds: 7 }] });

    const err = await failureOf(() => client.listKeys());

    expect(err).toBeInstanceOf(OpenRouterRateLimitError);
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
    expect(await client.listKeys()).toEqual([]); // the scripted fault was one-shot
  });

  it('5xx and 408 are retryable OpenRouterServerError, with Retry-After when given', async () => {
    emulator.setFaults({
      scripted: [
        { method: 'GET', path: '^/api/v1/key$', status: 503, retryAfterSeconds: 2 },
        { method: 'GET', path: '^/api/v1/key$', status: 500 },
        { method: 'GET', path: '^/api/v1/key$', status: 408 },
      ],
    });

    const unavailable = await failureOf(() => client.currentKey());
    const internal = await failureOf(() => client.currentKey());
    const timeout = await failureOf(() => client.currentKey());

    expect(unavailable).toBeInstanceOf(OpenRouterServerError);
    expect(unavailable).toMatchObject({ status: 503, retryable: true, retryAfterMs: 2000 });
    expect(internal).toMatchObject({ name: 'OpenRouterServerError', status: 500, retryAfterMs: undefined });
    expect(timeout).toMatchObject({ name: 'OpenRouterServerError', status: 408, retryable: true });
  });

  it('a stopped server is a retryable OpenRouterNetworkError', async () => {
    const gone = await startEmulator();
    const goneClient = createOpenRouterClient({
      baseUrl: gone.apiBaseUrl,
      managementKey: gone.managementKey,
    });
    await gone.stop();

    const err = await failureOf(() => goneClient.listKeys());

    expect(err).toBeInstanceOf(OpenRouterNetworkError);
    expect(err).toMatchObject({ status: undefined, retryable: true, timedOut: false });
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('a slow answer ends in a timed-out OpenRouterNetworkError', async () => {
    emulator.setFaults({ latencyMs: 2_000 });
    const impatient = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: emulator.managementKey,
      timeoutMs: 100,
    });

    const err = await failureOf(() => impatient.getKey('a'.repeat(64)));

    expect(err).toBeInstanceOf(OpenRouterNetworkError);
    expect(err).toMatchObject({ retryable: true, timedOut: true });
  });

  it("a cancelled call rejects with the caller's own abort reason", async () => {
    emulator.setFaults({ latencyMs: 2_000 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');

    const pending = failureOf(() => client.listKeys({ signal: controller.signal }));
    controller.abort(reason);

    expect(await pending).toBe(reason);
  });

  it('a create whose response is lost still created the key, findable by name', async () => {
    emulator.setFaults({ dropCreateResponses: 1 });

    const err = await failureOf(() => client.createKey({ name: 'rotation-x/attempt-1' }));

    expect(err).toBeInstanceOf(OpenRouterNetworkError);
    expect(err).toMatchObject({ retryable: true });
    expect(emulator.snapshot().keys).toMatchObject([{ name: 'rotation-x/attempt-1', deleted: false }]);
    expect(emulator.snapshot().requests.at(-1)).toMatchObject({ method: 'POST', status: 0 });
    const [orphan] = await client.listKeys({ includeDisabled: true });
    expect(orphan?.name).toBe('rotation-x/attempt-1');
  });

  it('a create response that fails validation still surfaces the key and its hash', async () => {
    const key = `sk-or-v1-${'c'.repeat(64)}`;
    const hash = hashOfKey(key);
    const odd = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: emulator.managementKey,
      fetch: async () =>
        new Response(JSON.stringify({ key, data: { hash, surprise: true } }), { status: 201 }),
    });

    const err = await failureOf(() => odd.createKey({ name: 'odd' }));

    expect(err).toBeInstanceOf(OpenRouterResponseError);
    expect(err).toMatchObject({ createdKey: key, createdHash: hash, status: 201, retryable: false });
    expect((err as Error).message).toContain(hash);
    expect((err as Error).message).not.toContain(key);
  });

  describe('a new key that is not shaped like an OpenRouter key', () => {
    /** A client that also hands the test every create answer's `key`, as OpenRouter sent it. */
    function clientSeeingCreatedKeys(): { client: OpenRouterClient; createdKeys: string[] } {
      const createdKeys: string[] = [];
      const seeing = createOpenRouterClient({
        baseUrl: emulator.apiBaseUrl,
        managementKey: emulator.managementKey,
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          if (init?.method === 'POST' && response.status === 201) {
            createdKeys.push(((await response.clone().json()) as { key: string }).key);
          }
          return response;
        },
      });
      return { client: seeing, createdKeys };
    }

    it('fails the create, deletes the key at OpenRouter and never shows the key', async () => {
      emulator.setFaults({ malformedCreateKeys: 1 });
      const { client: seeing, createdKeys } = clientSeeingCreatedKeys();

      const err = await failureOf(() => seeing.createKey({ name: 'rotation-x/attempt-1' }));

      const [malformed = ''] = createdKeys;
      const [record] = emulator.snapshot().keys;
      expect(err).toBeInstanceOf(OpenRouterResponseError);
      expect(err).toMatchObject({ retryable: false, createdHash: record?.hash, createdKey: undefined });
      const message = (err as Error).message;
      expect(message).toContain(
        'returned a new key that is not an OpenRouter API key (expected sk-or-v1- and 64 lowercase hex ' +
          'characters, got 65 characters starting with sk-or-v1-); it was not stored and was deleted at OpenRouter',
      );
      // No part of the secret: not the key, not its label, not any 8 characters of what follows the prefix.
      const secretPart = malformed.slice('sk-or-v1-'.length);
      const everything = [message, JSON.stringify(err), inspect(err, { depth: 5 })].join('\n');
      expect(everything).not.toContain(malformed);
      for (let i = 0; i + 8 <= secretPart.length; i++) {
        expect(everything).not.toContain(secretPart.slice(i, i + 8));
      }
      // No orphan: the one key OpenRouter created is deleted, nothing else is live.
      expect(emulator.snapshot().keys).toMatchObject([{ name: 'rotation-x/attempt-1', deleted: true }]);
      expect(await client.listKeys({ includeDisabled: true })).toEqual([]);
    });

    it('when deleting it fails, the failure is retryable and carries its hash for the retry to clean up', async () => {
      emulator.setFaults({
        malformedCreateKeys: 1,
        scripted: [{ method: 'DELETE', path: '^/api/v1/keys/', status: 503 }],
      });

      const err = await failureOf(() => client.createKey({ name: 'rotation-y/attempt-1' }));

      const [record] = emulator.snapshot().keys;
      expect(err).toBeInstanceOf(OpenRouterResponseError);
      expect(err).toMatchObject({ retryable: true, createdHash: record?.hash });
      expect((err as Error).message).toMatch(
        /deleting that key \(hash [0-9a-f]{64}\) failed: .*503.*A retry deletes it by name/,
      );
      // Still there, under the name that identifies the attempt: what a retry looks for and deletes.
      const live = await client.listKeys({ includeDisabled: true });
      expect(live.map((k) => [k.hash, k.name])).toEqual([[record?.hash, 'rotation-y/attempt-1']]);
    });

    it('the create succeeds again once the keys are well-formed', async () => {
      const created = await client.createKey({ name: 'well-formed' });
      expect(isOpenRouterApiKey(created.key)).toBe(true);
    });
  });

  it('an HTML error page from a proxy is still classified by status', async () => {
    const proxied = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: emulator.managementKey,
      fetch: async () =>
        new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'retry-after': '3' } }),
    });

    const err = await failureOf(() => proxied.listKeys());

    expect(err).toBeInstanceOf(OpenRouterServerError);
    expect(err).toMatchObject({ status: 502, retryAfterMs: 3000, apiMessage: '<html>Bad Gateway</html>' });
  });

  it('a redirect is not followed: the bearer never goes elsewhere', async () => {
    const targets: string[] = [];
    const redirected = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: emulator.managementKey,
      fetch: async (input) => {
        targets.push(String(input));
        return new Response(null, {
          status: 301,
          headers: { location: 'https://elsewhere.test/api/v1/keys' },
        });
      },
    });

    const err = await failureOf(() => redirected.listKeys());

    expect(err).toBeInstanceOf(OpenRouterResponseError);
    expect((err as Error).message).toContain('https://elsewhere.test/api/v1/keys');
    expect(targets).toEqual(['http://openrouter.test/api/v1/keys?offset=0']);
  });

  it('a 200 with an unexpected body is OpenRouterResponseError', async () => {
    const broken = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: emulator.managementKey,
      fetch: async () => new Response(JSON.stringify({ data: { hash: 'h' } }), { status: 200 }),
    });

    const err = await failureOf(() => broken.getKey('h'));

    expect(err).toBeInstanceOf(OpenRouterResponseError);
    expect((err as Error).message).toMatch(/data\.name/);
  });
});
