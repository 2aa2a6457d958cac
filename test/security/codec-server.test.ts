/**
 * The codec server decrypts workflow data for a person and must not become a way in: a web page
 * cannot reach it through DNS rebinding or a cross-origin form post, /encode (which makes input
 * the worker trusts) is off unless it has a token of its own, and answers never carry key material.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCodecServerCommand } from '../../src/codec/codec-server-command.js';
import { startCodecServer } from '../../src/codec/codec-server.js';
import { createRotatorDataConverter } from '../../src/codec/data-converter.js';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { ConfigError } from '../../src/errors/rotator-errors.js';
import { resumeSignal } from '../../src/workflow-contract/messages.js';
import { testNamespace } from '../support/temporal.js';

const codecKey = randomBytes(32).toString('base64');
const keyring = parseKeyring(JSON.stringify({ active: 'k1', keys: { k1: codecKey } }), 'test');
const displayCodec = new EncryptionCodec(keyring, { foreignPayloads: 'show' });
const TOKEN = 'codec-server-token-0123456789';
const ENCODE_TOKEN = 'codec-server-encode-token-9876543210';

type Server = Awaited<ReturnType<typeof startCodecServer>>;
let open: Server;
let withToken: Server;
let withEncode: Server;
let customOrigin: Server;
const answers: string[] = [];

beforeAll(async () => {
  open = await startCodecServer({ codec: displayCodec, port: 0 });
  withToken = await startCodecServer({ codec: displayCodec, port: 0, authToken: TOKEN });
  withEncode = await startCodecServer({
    codec: displayCodec,
    port: 0,
    authToken: TOKEN,
    encodeToken: ENCODE_TOKEN,
  });
  customOrigin = await startCodecServer({ codec: displayCodec, port: 0, uiOrigins: ['http://ui.test:8080'] });
});
afterAll(async () => {
  await Promise.all([open, withToken, withEncode, customOrigin].map((s) => s?.close()));
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so tests choose the Host header as an attacker's page would. */
function call(
  server: Server,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: options.method ?? 'POST',
        headers: { host: url.host, 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          };
          answers.push(JSON.stringify(answer));
          resolve(answer);
        });
      },
    );
    req.on('error', reject);
    req.end(options.body ?? (options.method === 'OPTIONS' ? undefined : '{}'));
  });
}

function wire(payload: Payload) {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

describe('codec server without a token (loopback only)', () => {
  it('answers only requests addressed to a loopback name with its own port (no DNS rebinding)', async () => {
    const port = new URL(open.url).port;
    for (const host of [
      'evil.example:' + port,
      `127.0.0.1:${Number(port) + 1}`,
      'localhost',
      `rebind.127.0.0.1.nip.io:${port}`,
    ]) {
      const refused = await call(open, '/decode', { headers: { host } });
      expect(refused.status, host).toBe(421);
      expect(refused.body).toMatch(/addressed to localhost:\d+ or 127\.0\.0\.1:\d+/);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      expect((await call(open, '/decode', { headers: { host } })).status, host).toBe(200);
    }
  });

  it('refuses /encode, which would make input the worker trusts, and says why', async () => {
    const plain = defaultPayloadConverter.toPayload({ rotation: 'forged' });
    const refused = await call(open, '/encode', { body: JSON.stringify({ payloads: [wire(plain)] }) });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/\/encode is off.*KEY_ROTATOR_CODEC_SERVER_ENCODE_TOKEN/);
  });

  it('accepts only application/json bodies', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const refused = await call(open, '/decode', {
        headers: { 'content-type': type },
        body: '{"payloads": []}',
      });
      expect(refused.status, type).toBe(415);
    }
    expect(
      (await call(open, '/decode', { headers: { 'content-type': 'application/json; charset=utf-8' } }))
        .status,
    ).toBe(200);
  });

  it('answers an empty list for {} and {"payloads": []}, as `temporal workflow show` sends for signals without input', async () => {
    for (const body of ['{}', '{"payloads": []}']) {
      const answer = await call(open, '/decode', { body });
      expect(answer.status, body).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ payloads: [] });
    }
    expect((await call(open, '/decode', { body: '{"nope": 1}' })).status).toBe(400);
  });

  it('shows a payload it did not encrypt as it is, and decrypts its own', async () => {
    const plain = wire(defaultPayloadConverter.toPayload({ startedBy: 'temporal workflow start --input' }));
    const [encrypted] = await displayCodec.encode([defaultPayloadConverter.toPayload({ step: 'grace' })]);
    const answer = await call(open, '/decode', {
      body: JSON.stringify({ payloads: [plain, wire(encrypted!)] }),
    });
    expect(answer.status).toBe(200);
    const [shownPlain, shownOwn] = (JSON.parse(answer.body) as { payloads: ReturnType<typeof wire>[] })
      .payloads;
    expect(shownPlain).toEqual(plain);
    expect(JSON.parse(Buffer.from(shownOwn!.data, 'base64').toString())).toEqual({ step: 'grace' });
  });

  it('allows both origins of the local dev UI by default, and refuses any other origin', async () => {
    for (const origin of ['http://localhost:8233', 'http://127.0.0.1:8233']) {
      const preflight = await call(open, '/decode', { method: 'OPTIONS', headers: { origin } });
      expect(preflight.status, origin).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      const answer = await call(open, '/decode', { headers: { origin } });
      expect(answer.headers['access-control-allow-origin']).toBe(origin);
    }
    const foreign = await call(open, '/decode', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('uses an explicitly configured UI origin instead of the defaults', async () => {
    const allowed = await call(customOrigin, '/decode', { headers: { origin: 'http://ui.test:8080' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('http://ui.test:8080');
    expect(
      (await call(customOrigin, '/decode', { headers: { origin: 'http://localhost:8233' } })).status,
    ).toBe(403);
  });
});

describe('codec server with a bearer token', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const body = JSON.stringify({ payloads: [wire(defaultPayloadConverter.toPayload('hello'))] });

  it('decodes for callers presenting the token, and keeps /encode off: decode access makes no input', async () => {
    expect((await call(withToken, '/decode', { body })).status).toBe(401);
    expect((await call(withToken, '/decode', { body, headers: auth })).status).toBe(200);
    const refused = await call(withToken, '/encode', { body, headers: auth });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatch(/\/encode is off/);
  });

  it('encodes only for callers presenting the /encode token, which does not decode', async () => {
    expect((await call(withEncode, '/encode', { body })).status).toBe(401);
    expect((await call(withEncode, '/encode', { body, headers: auth })).status).toBe(401);
    const encoded = await call(withEncode, '/encode', {
      body,
      headers: { authorization: `Bearer ${ENCODE_TOKEN}` },
    });
    expect(encoded.status).toBe(200);
    expect(
      (
        await call(withEncode, '/decode', {
          body: encoded.body,
          headers: { authorization: `Bearer ${ENCODE_TOKEN}` },
        })
      ).status,
    ).toBe(401);
    const decoded = await call(withEncode, '/decode', { body: encoded.body, headers: auth });
    const [payload] = (JSON.parse(decoded.body) as { payloads: ReturnType<typeof wire>[] }).payloads;
    expect(JSON.parse(Buffer.from(payload!.data, 'base64').toString())).toBe('hello');
  });

  it('refuses to start with the /decode token as the /encode token', async () => {
    await expect(
      startCodecServer({ codec: displayCodec, port: 0, authToken: TOKEN, encodeToken: TOKEN }),
    ).rejects.toThrow(/needs a token of its own/);
  });

  it('still requires JSON bodies and accepts empty lists', async () => {
    expect(
      (await call(withToken, '/decode', { headers: { ...auth, 'content-type': 'text/plain' } })).status,
    ).toBe(415);
    expect(JSON.parse((await call(withToken, '/decode', { headers: auth })).body)).toEqual({ payloads: [] });
  });
});

describe('codec server command', () => {
  it('refuses the removed unauthenticated opt-out instead of silently serving without a token', async () => {
    await expect(
      runCodecServerCommand({
        port: 0,
        host: '0.0.0.0',
        env: { KEY_ROTATOR_CODEC_KEY: codecKey, KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED: 'true' },
      }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('refuses to start when given the sealing keyring, which belongs to the worker alone', async () => {
    for (const name of ['KEY_ROTATOR_SEALING_KEY', 'KEY_ROTATOR_SEALING_KEY_FILE']) {
      await expect(
        runCodecServerCommand({
          port: 0,
          host: '127.0.0.1',
          env: { KEY_ROTATOR_CODEC_KEY: codecKey, [name]: 'x' },
          // Were it to start anyway, it stops at once instead of serving until the test times out.
          signal: AbortSignal.abort(),
        }),
      ).rejects.toThrow(
        new RegExp(`${name} is set for the codec server: the sealing keyring belongs to the worker alone`),
      );
    }
  });
});

describe('codec server answers', () => {
  it('never carry key material (codec key, token), whatever was asked', async () => {
    const [encrypted] = await displayCodec.encode([defaultPayloadConverter.toPayload('x')]);
    const tampered = wire(encrypted!);
    tampered.data = Buffer.from(
      Buffer.from(tampered.data, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b)),
    ).toString('base64');
    const failed = await call(open, '/decode', { body: JSON.stringify({ payloads: [tampered] }) });
    expect(failed.status).toBe(400);
    expect(answers.length).toBeGreaterThan(20);
    const everything = answers.join('\n');
    expect(everything).not.toContain(codecKey);
    expect(everything).not.toContain(Buffer.from(codecKey, 'base64').toString('hex'));
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(ENCODE_TOKEN);
  });
});

describe('codec server with the temporal CLI', () => {
  it('lets `temporal workflow show --codec-endpoint` decode a resumed rotation (a signal without input)', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = new Client({
      connection,
      namespace: testNamespace(),
      dataConverter: await createRotatorDataConverter({ keyring }),
    });
    const workflowId = `codec-cli-${randomBytes(4).toString('hex')}`;
    // No worker polls this task queue: the run only has to exist, with its input and a signal.
    const handle = await client.workflow.start('rotationWorkflow', {
      taskQueue: `codec-cli-${randomBytes(4).toString('hex')}`,
      workflowId,
      args: [{ rotation: { name: 'shown-through-the-codec-server' }, options: {} }],
    });
    try {
      await handle.signal(resumeSignal);
      const { stdout } = await promisify(execFile)(inject('temporalCliPath'), [
        'workflow',
        'show',
        '--address',
        inject('temporalAddress'),
        '--namespace',
        testNamespace(),
        '--workflow-id',
        workflowId,
        '--codec-endpoint',
        open.url,
        '--output',
        'json',
      ]);
      const { events } = JSON.parse(stdout) as {
        events: Record<string, { input?: { payloads?: Payload[] } }>[];
      };
      const [input] = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
      expect(Buffer.from(String(input!.metadata!.encoding), 'base64').toString()).toBe('json/plain');
      expect(Buffer.from(String(input!.data), 'base64').toString()).toContain(
        'shown-through-the-codec-server',
      );
      expect(events.some((e) => e.workflowExecutionSignaledEventAttributes)).toBe(true);
    } finally {
      await handle.terminate('test cleanup');
      await connection.close();
    }
  });
});
