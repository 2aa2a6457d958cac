/**
 * The remote codec endpoint for the Temporal Web UI (and `temporal --codec-endpoint`): POST
 * /encode and /decode with `{"payloads": [...]}` (proto3 JSON, base64 bytes), CORS for the UI's
 * origin. Decoding shows workflow data to whoever can reach it, so off loopback it requires a
 * bearer token. API keys inside payloads stay sealed (see secret-sealer.ts): the UI never sees one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** @default 8888 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Origin of the Temporal Web UI allowed by CORS. @default "http://localhost:8233" */
  uiOrigin?: string;
  /** Bearer token callers must present; required when binding beyond loopback. */
  authToken?: string;
  /**
   * Serve without a token beyond loopback. Only for a container whose port is published on the
   * host's loopback alone (the Web UI cannot send a fixed token). @default false
   */
  allowUnauthenticated?: boolean;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const payloadsBody = z.object({
  payloads: z.array(
    z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }).loose(),
  ),
});

function fromJson(p: z.infer<typeof payloadsBody>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
  };
}

function toJson(p: Payload) {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
  };
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCodecServer(
  options: CodecServerOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const uiOrigin = options.uiOrigin ?? 'http://localhost:8233';
  if (!isLoopback(host) && !options.authToken && !options.allowUnauthenticated) {
    throw new ConfigError(
      `the codec server decrypts workflow data: binding to ${host} needs KEY_ROTATOR_CODEC_SERVER_TOKEN ` +
        '(a bearer token), or KEY_ROTATOR_CODEC_SERVER_ALLOW_UNAUTHENTICATED=true when its port is reachable from loopback only',
    );
  }
  const expected = options.authToken ? Buffer.from(`Bearer ${options.authToken}`) : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', uiOrigin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const path = new URL(req.url ?? '/', 'http://codec.invalid').pathname;
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode')) {
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return void res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized\n');
      }
    }
    let body: z.infer<typeof payloadsBody>;
    try {
      body = payloadsBody.parse(JSON.parse(await readBody(req)));
    } catch {
      return void res.writeHead(400, { 'content-type': 'text/plain' }).end('expected {"payloads": [...]}\n');
    }
    try {
      const payloads = body.payloads.map(fromJson);
      const out =
        path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ payloads: out.map(toJson) }));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8888, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
