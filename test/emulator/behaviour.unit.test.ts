/**
 * What the emulator does beyond the client contract: completions and usage, key states (disabled,
 * deleted, expired, too fresh), validation, the control API and its guard, reproducible faults.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateOpenRouterKey } from '../../src/emulator/key-store.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { isOpenRouterApiKey } from '../../src/openrouter/schemas.js';
import { labelOfKey } from '../../src/errors/redact.js';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ costPerRequestUsd: 0.25 });
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  emulator.reset();
});

async function call(
  method: string,
  path: string,
  bearer: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: {
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

const complete = (key: string | undefined) =>
  call('POST', '/api/v1/chat/completions', key, { model: 'm', messages: [{ role: 'user', content: 'hi' }] });

describe('chat completions', () => {
  it('answer a normal key and count usage and cost on it', async () => {
    const { key, hash } = emulator.seedKey({ name: 'app' });

    expect((await complete(key)).status).toBe(200);
    const second = await complete(key);

    expect(second.json).toMatchObject({ object: 'chat.completion', usage: { cost: 0.25 } });
    expect(emulator.snapshot().keys.find((k) => k.hash === hash)).toMatchObject({
      usage: 0.5,
      usage_daily: 0.5,
      usage_weekly: 0.5,
      usage_monthly: 0.5,
      request_count: 2,
    });
    const current = await call('GET', '/api/v1/key', key);
    expect(current.json).toMatchObject({ data: { usage: 0.5, usage_daily: 0.5 } });
  });

  it('refuse unknown, disabled, deleted and expired keys with 401, and the management key with 403', async () => {
    const disabled = emulator.seedKey({ name: 'off', disabled: true });
    const expired = emulator.seedKey({ name: 'old', expiresAt: new Date(Date.now() - 60_000) });
    const deleted = emulator.seedKey({ name: 'gone' });
    await call('DELETE', `/api/v1/keys/${deleted.hash}`, emulator.managementKey);

    expect((await complete(undefined)).status).toBe(401);
    expect((await complete(`sk-or-v1-${'1'.repeat(64)}`)).status).toBe(401);
    expect((await complete(disabled.key)).status).toBe(401);
    expect((await complete(deleted.key)).status).toBe(401);
    expect((await complete(expired.key)).status).toBe(401);
    expect((await complete(emulator.managementKey)).status).toBe(403);
  });

  it('refuse a key over its spending limit with 403', async () => {
    const { key } = emulator.seedKey({ name: 'capped', limit: 0.3 });

    expect((await complete(key)).status).toBe(200);
    const refused = await complete(key);

    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: { code: 403, message: 'Key limit exceeded' } });
  });
});

describe('key states and validation', () => {
  it('an expired key answers 401 on GET /key but is still listed', async () => {
    const { key, hash } = emulator.seedKey({ name: 'expired', expiresAt: new Date(Date.now() - 1_000) });

    expect((await call('GET', '/api/v1/key', key)).status).toBe(401);
    const listed = await call('GET', '/api/v1/keys', emulator.managementKey);
    expect(listed.json).toMatchObject({ data: [{ hash }] });
  });

  it('fresh keys answer 401 while the fault lasts; older keys are unaffected', async () => {
    emulator.setFaults({ freshKeyUnauthorizedMs: 3_600_000 });
    const created = await call('POST', '/api/v1/keys', emulator.managementKey, { name: 'fresh' });
    const { key: freshKey } = created.json as { key: string };
    const older = emulator.seedKey({ name: 'older', createdAt: new Date(Date.now() - 7_200_000) });

    expect((await call('GET', '/api/v1/key', freshKey)).status).toBe(401);
    expect((await complete(freshKey)).status).toBe(401);
    expect((await call('GET', '/api/v1/key', older.key)).status).toBe(200);
  });

  it('create answers 201 and validates its body', async () => {
    const mk = emulator.managementKey;
    expect(
      (await call('POST', '/api/v1/keys', mk, { name: 'ok', expires_at: '2031-01-01T00:00:00Z' })).status,
    ).toBe(201);
    expect((await call('POST', '/api/v1/keys', mk, { name: '' })).status).toBe(400);
    expect(
      (await call('POST', '/api/v1/keys', mk, { name: 'x', expires_at: '2031-01-01T00:00Z' })).status,
    ).toBe(400);
    expect(
      (await call('POST', '/api/v1/keys', mk, { name: 'x', expires_at: '2001-01-01T00:00:00Z' })).status,
    ).toBe(400);
    expect((await call('POST', '/api/v1/keys', mk, { name: 'x', limit_reset: 'hourly' })).status).toBe(400);
    expect((await call('POST', '/api/v1/keys', mk, { name: 'x', workspace_id: 'not-a-uuid' })).status).toBe(
      400,
    );
  });

  it('expiry cannot be changed after creation', async () => {
    const { hash } = emulator.seedKey({ name: 'fixed' });

    const res = await call('PATCH', `/api/v1/keys/${hash}`, emulator.managementKey, {
      expires_at: '2035-01-01T00:00:00Z',
    });

    expect(res.status).toBe(400);
  });

  it('management endpoints refuse a missing bearer with 401 and a normal key with 403', async () => {
    const { key } = emulator.seedKey({ name: 'normal' });

    expect(await call('GET', '/api/v1/keys', undefined)).toMatchObject({
      status: 401,
      json: { error: { code: 401, message: 'Missing Authentication header' } },
    });
    expect((await call('GET', '/api/v1/keys', key)).status).toBe(403);
  });
});

describe('control API', () => {
  it('is guarded by the management key', async () => {
    const { key } = emulator.seedKey({ name: 'normal' });

    expect((await call('GET', '/_emulator/state', undefined)).status).toBe(401);
    expect((await call('GET', '/_emulator/state', key)).status).toBe(401);
    expect((await call('GET', '/_emulator/state', emulator.managementKey)).status).toBe(200);
  });

  it('seeds keys, sets faults, resets, and never shows a full key', async () => {
    const mk = emulator.managementKey;
    const seeded = await call('POST', '/_emulator/keys', mk, { name: 'by-hand', limit: 1 });
    expect(seeded.status).toBe(201);
    const { key, hash } = seeded.json as { key: string; hash: string };
    const created = (await call('POST', '/api/v1/keys', mk, { name: 'by-api' })).json as { key: string };
    await call('DELETE', `/api/v1/keys/${hash}`, mk);

    expect(
      (await call('PUT', '/_emulator/faults', mk, { rateLimitRate: 1, retryAfterSeconds: 9 })).status,
    ).toBe(200);
    const limited = await call('GET', '/api/v1/keys', mk);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('9');
    expect(
      (await call('PUT', '/_emulator/faults', mk, { scripted: [{ path: '(', status: 500 }] })).status,
    ).toBe(400);

    const state = await call('GET', '/_emulator/state', mk);
    const text = JSON.stringify(state.json);
    expect(state.json).toMatchObject({
      keys: [
        { hash, name: 'by-hand', deleted: true, limit: 1 },
        { name: 'by-api', deleted: false },
      ],
      faults: { rateLimitRate: 1 },
    });
    for (const secret of [key, created.key, mk]) expect(text).not.toContain(secret);

    expect((await call('POST', '/_emulator/reset', mk)).status).toBe(200);
    expect(emulator.snapshot()).toMatchObject({ keys: [], requests: [] });
  });

  it('generates an OpenRouter-shaped management key when none is given', () => {
    expect(emulator.managementKey).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
  });
});

describe('fault rates', () => {
  it('are reproducible for the same seed', async () => {
    const statusesFor = async (seed: number) => {
      const other = await startEmulator({ seed, faults: { serverErrorRate: 0.3, rateLimitRate: 0.2 } });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${other.apiBaseUrl}/key`, {
          headers: { authorization: `Bearer ${other.managementKey}` },
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      await other.stop();
      return statuses;
    };

    const first = await statusesFor(42);
    const again = await statusesFor(42);

    expect(again).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((s) => s === 429 || s === 500)).toBe(true);
  });
});

describe('new keys', () => {
  it('have the shape of OpenRouter keys, whether created through the API, seeded or generated', async () => {
    const created = (await call('POST', '/api/v1/keys', emulator.managementKey, { name: 'app' })).json as {
      key: string;
    };
    const generated = Array.from({ length: 200 }, () => generateOpenRouterKey());

    for (const key of [created.key, emulator.seedKey({ name: 'seeded' }).key, ...generated]) {
      expect(isOpenRouterApiKey(key), key.slice(0, 12)).toBe(true);
    }
  });

  it('come back malformed while the malformedCreateKeys fault lasts, though the key exists', async () => {
    emulator.setFaults({ malformedCreateKeys: 1 });

    const malformed = await call('POST', '/api/v1/keys', emulator.managementKey, { name: 'first' });
    const normal = await call('POST', '/api/v1/keys', emulator.managementKey, { name: 'second' });

    const first = malformed.json as { key: string; data: { hash: string } };
    expect(malformed.status).toBe(201);
    expect(isOpenRouterApiKey(first.key)).toBe(false);
    expect(hashOfKey(first.key)).not.toBe(first.data.hash);
    expect(emulator.snapshot().keys).toMatchObject([
      { hash: first.data.hash, name: 'first', deleted: false },
      { name: 'second', deleted: false },
    ]);
    expect(isOpenRouterApiKey((normal.json as { key: string }).key)).toBe(true);
  });
});

describe('request log lines', () => {
  it('name method, path, status and whose key asked, with the label of the key a path names, never a key', async () => {
    const lines: string[] = [];
    const logged = await startEmulator({ onRequestLine: (line) => lines.push(line) });
    try {
      const { key, hash } = logged.seedKey({ name: 'app' });
      const asManagement = { authorization: `Bearer ${logged.managementKey}` };
      await fetch(`${logged.url}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await fetch(`${logged.url}/api/v1/keys/${hash}`, { method: 'DELETE', headers: asManagement });
      await fetch(`${logged.url}/api/v1/keys/${hash}`, { headers: asManagement });
      await fetch(`${logged.url}/api/v1/keys`);

      const label = labelOfKey(key);
      expect(lines).toEqual([
        `POST /api/v1/chat/completions 200 by ${label}`,
        `DELETE /api/v1/keys/${hash.slice(0, 12)}… 200 by management key (key ${label})`,
        `GET /api/v1/keys/${hash.slice(0, 12)}… 404 by management key (key ${label})`,
        'GET /api/v1/keys 401 by no key',
      ]);
      expect(lines.join('\n')).not.toContain(key);
      expect(lines.join('\n')).not.toContain(logged.managementKey);
    } finally {
      await logged.stop();
    }
  });
});
