/**
 * OpenRouter's own SDK (`@openrouter/sdk`) pointed at the emulator: the SDK validates every
 * response against OpenRouter's OpenAPI description and throws when one does not match, so these
 * calls passing proves the emulator speaks OpenRouter's wire format, errors included.
 */
import { OpenRouter } from '@openrouter/sdk';
import { NotFoundResponseError, UnauthorizedResponseError } from '@openrouter/sdk/models/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js';
import { hashOfKey } from '../src/openrouter/hash.js';

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

  it('error bodies parse as the SDK typed errors', async () => {
    await expect(sdk.apiKeys.get({ hash: '0'.repeat(64) })).rejects.toBeInstanceOf(NotFoundResponseError);
    await expect(sdk.apiKeys.delete({ hash: '0'.repeat(64) })).rejects.toBeInstanceOf(NotFoundResponseError);
    await expect(sdkFor(`sk-or-v1-${'e'.repeat(64)}`).apiKeys.list()).rejects.toBeInstanceOf(
      UnauthorizedResponseError,
    );
  });
});
