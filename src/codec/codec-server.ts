/**
 * The remote codec endpoint for the Temporal Web UI (and `temporal --codec-endpoint`): POST
 * /decode and /encode with `{"payloads": [...]}` (proto3 JSON, base64 bytes), CORS for the UI's
 * origins. API keys inside payloads stay sealed (see secret-sealer.ts): the UI never sees one.
 *
 * Who may call what:
 * - /decode shows workflow data to whoever can reach it. Without a bearer token the server binds
 *   loopback only and answers only requests whose `Host` is a loopback name with its own port, so
 *   a web page cannot reach it through DNS rebinding. With `authToken`, /decode needs it.
 * - /encode makes payloads the worker accepts as ours, so it is off unless `encodeToken` is given,
 *   and then needs that token, which must differ from the /decode token: being allowed to read
 *   workflow data (the Web UI's users) never means being allowed to make input the worker trusts.
 * - The server holds the payload codec keyring only, never the sealing keyring: the API keys in
 *   payloads are sealed with a key it does not have (keyring.ts), so it cannot show or make one.
 * - Bodies must be `application/json`: a browser cannot send that cross-origin without a CORS
 *   preflight, which only the UI's origins pass.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ConfigError } from '../errors/rotator-errors.js';

/** The origins of a local dev server's Web UI; the demo prints the 127.0.0.1 form. */
export const DEFAULT_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'] as const;

export interface CodecServerOptions {
  /** The codec. Give it `foreignPayloads: "show"` so /decode shows unencrypted payloads as they are. */
  codec: PayloadCodec;
  /** @default 8888 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Origins of the Temporal Web UI allowed by CORS; replaces the default. @default DEFAULT_UI_ORIGINS */
  uiOrigins?: readonly string[];
  /**
   * Bearer token callers of /decode must present. Required to bind beyond loopback.
   * @default undefined (loopback only)
   */
  authToken?: string;
  /**
   * Turns /encode on, for callers presenting this bearer token (not the /decode one).
   * @default undefined (/encode off)
   */
  encodeToken?: string;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

// Proto3 JSON of `Payloads`: an empty list may be left out entirely (the `temporal` CLI sends `{}`).
const payloadsBody = z
  .object({
    payloads: z
      .array(
        z
          .object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })
          .loose(),
      )
      .optional(),
  })
  .strict();

type WirePayload = NonNullable<z.infer<typeof payloadsBody>['payloads']>[number];

function fromJson(p: WirePayload): Payload {
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

/** Whether a `Host` header names this server on loopback: `localhost`, `127.x.x.x` or `[::1]`, with its port. */
function isLoopbackHostHeader(header: string | undefined, port: number): boolean {
  const match = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]):(\d+)$/i.exec(header ?? '');
  return match !== null && Number(match[2]) === port;
}

/** A configured UI origin in canonical form (`scheme://host[:port]`), or a ConfigError. */
export function parseUiOrigin(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  const isOrigin =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash &&
    !url.username &&
    !url.password;
  if (!isOrigin) {
    throw new ConfigError(
      `Web UI origin "${value}": expected scheme://host[:port] with no path, e.g. http://localhost:8080`,
    );
  }
  return url!.origin;
}

class RequestRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestRefused(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isJsonContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

export async function startCodecServer(
  options: CodecServerOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const uiOrigins = new Set((options.uiOrigins ?? DEFAULT_UI_ORIGINS).map(parseUiOrigin));
  if (!isLoopback(host) && !options.authToken) {
    throw new ConfigError(
      `the codec server decrypts workflow data: binding to ${host} needs KEY_ROTATOR_CODEC_SERVER_TOKEN ` +
        '(or KEY_ROTATOR_CODEC_SERVER_TOKEN_FILE), a bearer token every caller must present',
    );
  }
  if (options.encodeToken !== undefined && options.encodeToken === options.authToken) {
    throw new ConfigError(
      'KEY_ROTATOR_CODEC_SERVER_ENCODE_TOKEN is the /decode token too: /encode needs a token of its own, ' +
        'so that being allowed to read workflow data is not being allowed to make input the worker trusts',
    );
  }
  const bearer = (token: string | undefined) => (token ? Buffer.from(`Bearer ${token}`) : undefined);
  const expected = { '/decode': bearer(options.authToken), '/encode': bearer(options.encodeToken) };
  let port = options.port ?? 8888;

  /** Refuses the request unless it may go on; sets the CORS headers of allowed origins. */
  const admit = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    if (!options.authToken && !isLoopbackHostHeader(req.headers.host, port)) {
      throw new RequestRefused(
        421,
        `this codec server answers only requests addressed to localhost:${port} or 127.0.0.1:${port}`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!uiOrigins.has(origin)) {
        throw new RequestRefused(
          403,
          `origin ${origin} is not an allowed Web UI origin; start the codec server with --ui-origin ${origin}`,
        );
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') return;
    if (req.method !== 'POST' || (path !== '/encode' && path !== '/decode')) {
      throw new RequestRefused(404, 'not found: POST /decode or /encode');
    }
    if (path === '/encode' && !expected['/encode']) {
      throw new RequestRefused(
        403,
        '/encode is off: it makes payloads the worker trusts, so it is on only with its own token, ' +
          'KEY_ROTATOR_CODEC_SERVER_ENCODE_TOKEN (callers then send Authorization: Bearer <that token>)',
      );
    }
    const needed = expected[path];
    if (needed) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== needed.length || !timingSafeEqual(given, needed)) {
        const which = path === '/encode' ? 'the /encode token' : 'the codec server token';
        throw new RequestRefused(401, `unauthorized: send Authorization: Bearer <${which}>`);
      }
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new RequestRefused(415, 'expected content-type: application/json');
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Vary', 'Origin');
    const path = new URL(req.url ?? '/', 'http://codec.invalid').pathname;
    try {
      admit(req, res, path);
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      let body: z.infer<typeof payloadsBody>;
      try {
        body = payloadsBody.parse(JSON.parse(await readBody(req)));
      } catch (err) {
        if (err instanceof RequestRefused) throw err;
        throw new RequestRefused(400, 'expected {"payloads": [...]}');
      }
      const payloads = (body.payloads ?? []).map(fromJson);
      let out: Payload[];
      try {
        out =
          path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      } catch (err) {
        // Codec errors name encodings and key ids, never key material.
        throw new RequestRefused(400, (err as Error).message);
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ payloads: out.map(toJson) }));
    } catch (err) {
      if (!(err instanceof RequestRefused)) throw err;
      res.writeHead(err.status, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  if (typeof address === 'object' && address) port = address.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
