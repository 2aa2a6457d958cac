/**
 * No key ever shows up in an error: not in the message, not when the error is printed with
 * console.log/util.inspect (stack and cause included), not when it is serialised to JSON.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { createOpenRouterClient, type OpenRouterClient } from '../../src/openrouter/client.js';
import { OpenRouterError } from '../../src/openrouter/errors.js';
import { hashOfKey } from '../../src/openrouter/hash.js';

let emulator: RunningEmulator;
let client: OpenRouterClient;

beforeAll(async () => {
  emulator = await startEmulator();
  client = createOpenRouterClient({ baseUrl: emulator.apiBaseUrl, managementKey: emulator.managementKey });
});

afterAll(async () => {
  await emulator.stop();
});

async function failureOf(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`expected an Error, got ${String(err)}`);
  }
  throw new Error('expected the call to fail');
}

/** Every way an error gets printed. */
function renderings(err: Error): string[] {
  return [err.message, String(err), inspect(err, { depth: 10 }), JSON.stringify(err), err.stack ?? ''];
}

function expectNoSecret(err: Error, secrets: string[]): void {
  expect(err).toBeInstanceOf(OpenRouterError);
  for (const text of renderings(err)) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

describe('errors never contain a key', () => {
  it('a rejected management key that looks like an OpenRouter key', async () => {
    const wrongKey = `sk-or-v1-${'9'.repeat(64)}`;
    const wrong = createOpenRouterClient({ baseUrl: emulator.apiBaseUrl, managementKey: wrongKey });

    expectNoSecret(await failureOf(() => wrong.listKeys()), [wrongKey, emulator.managementKey]);
  });

  it('a rejected management key of any other form', async () => {
    const oddKey = 'management-token-7f3a9c1e';
    const wrong = createOpenRouterClient({ baseUrl: emulator.apiBaseUrl, managementKey: oddKey });

    expectNoSecret(await failureOf(() => wrong.createKey({ name: 'x' })), [oddKey]);
  });

  it('a normal key used for management, and a deleted key asked about', async () => {
    const { key, hash } = emulator.seedKey({ name: 'normal' });
    const normal = createOpenRouterClient({ baseUrl: emulator.apiBaseUrl, managementKey: key });
    expectNoSecret(await failureOf(() => normal.getKey(hash)), [key]);

    await client.deleteKey(hash);
    expectNoSecret(await failureOf(() => client.currentKey({ key })), [key, emulator.managementKey]);
  });

  it('network failures and timeouts', async () => {
    const gone = await startEmulator();
    const goneClient = createOpenRouterClient({
      baseUrl: gone.apiBaseUrl,
      managementKey: gone.managementKey,
    });
    await gone.stop();
    expectNoSecret(await failureOf(() => goneClient.listKeys()), [gone.managementKey]);

    emulator.setFaults({ latencyMs: 1_000 });
    const impatient = createOpenRouterClient({
      baseUrl: emulator.apiBaseUrl,
      managementKey: emulator.managementKey,
      timeoutMs: 50,
    });
    expectNoSecret(await failureOf(() => impatient.currentKey()), [emulator.managementKey]);
    emulator.setFaults({});
  });

  it('a lost create response, and a create response that fails validation', async () => {
    emulator.setFaults({ dropCreateResponses: 1 });
    expectNoSecret(await failureOf(() => client.createKey({ name: 'dropped' })), [emulator.managementKey]);

    const createdKey = `sk-or-v1-${'d'.repeat(64)}`;
    const odd = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: emulator.managementKey,
      fetch: async () =>
        new Response(JSON.stringify({ key: createdKey, data: { hash: hashOfKey(createdKey), name: 1 } }), {
          status: 201,
        }),
    });
    const err = await failureOf(() => odd.createKey({ name: 'odd' }));
    expectNoSecret(err, [createdKey, emulator.managementKey]);
    expect((err as { createdKey?: string }).createdKey).toBe(createdKey);
  });

  it('an error body that echoes the key back', async () => {
    const echoedKey = `sk-or-v1-${'e'.repeat(64)}`;
    const echoing = createOpenRouterClient({
      baseUrl: 'http://openrouter.test/api/v1',
      managementKey: echoedKey,
      fetch: async () =>
        new Response(JSON.stringify({ error: { code: 401, message: `Key ${echoedKey} is not valid` } }), {
          status: 401,
        }),
    });

    const err = await failureOf(() => echoing.listKeys());

    expectNoSecret(err, [echoedKey]);
    expect((err as OpenRouterError).apiMessage).toBe('Key sk-or-v1-eee...eeee is not valid');
  });
});
