import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodecServer } from '../../src/codec/codec-server.js';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { ConfigError } from '../../src/errors/rotator-errors.js';

const codec = new EncryptionCodec(parseKeyring(randomBytes(32).toString('base64'), 'test'));
let server: Awaited<ReturnType<typeof startCodecServer>>;

beforeAll(async () => {
  server = await startCodecServer({
    codec,
    port: 0,
    authToken: 'let-me-in-please',
    uiOrigins: ['http://ui.test'],
  });
});
afterAll(async () => {
  await server?.close();
});

function post(path: string, body: unknown, token = 'let-me-in-please') {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      origin: 'http://ui.test',
    },
    body: JSON.stringify(body),
  });
}

describe('codec server for the Web UI', () => {
  it('decodes what the worker encoded, in the remote codec JSON format, with CORS for the UI', async () => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload({ step: 'grace' })]);
    const wire = {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encoded!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(encoded!.data!).toString('base64'),
        },
      ],
    };
    const res = await post('/decode', wire);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://ui.test');
    const body = (await res.json()) as { payloads: { data: string }[] };
    expect(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString())).toEqual({ step: 'grace' });
  });

  it('refuses callers without the bearer token, and bad bodies', async () => {
    expect((await post('/decode', { payloads: [] }, 'wrong')).status).toBe(401);
    expect((await post('/decode', { nope: 1 })).status).toBe(400);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
  });

  it('will not listen beyond loopback without a token', async () => {
    await expect(startCodecServer({ codec, port: 0, host: '0.0.0.0' })).rejects.toBeInstanceOf(ConfigError);
  });
});
