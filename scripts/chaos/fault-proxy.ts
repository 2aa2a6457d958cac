/**
 * A small fault-injecting HTTP proxy in front of a secret store (OpenBao or moto) on loopback:
 * latency spikes, 5xx and 429 (with Retry-After) answered instead of the store, and the nastiest
 * one, a write that the store committed but whose answer is dropped (the connection is cut after
 * the store answered), so the caller must find out on its own that its write happened.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededChoices } from './seeded-choices.js';

export interface ProxyFaults {
  /** Share of requests answered 503 without reaching the store. */
  serverErrorRate: number;
  /** Share of requests answered 429 without reaching the store. */
  rateLimitRate: number;
  /** `Retry-After` of the 429s, in seconds. */
  retryAfterSeconds: number;
  /** Share of writes forwarded, committed, and then answered by a cut connection. */
  dropAnswerAfterCommitRate: number;
  /** Share of requests delayed by `latencySpikeMs` before they are forwarded. */
  latencySpikeRate: number;
  latencySpikeMs: number;
}

export type ProxyFaultKind = '5xx' | '429' | 'answer-dropped-after-commit' | 'latency-spike';

/** How the proxied service words an error body. */
export interface ServiceErrors {
  contentType: string;
  body(status: number): string;
}

export const VAULT_ERRORS: ServiceErrors = {
  contentType: 'application/json',
  body: (status) => JSON.stringify({ errors: [`injected fault (HTTP ${status})`] }),
};

/** AWS JSON 1.1 protocol errors, as the SDK parses them (`__type` names the error). */
export const AWS_ERRORS: ServiceErrors = {
  contentType: 'application/x-amz-json-1.1',
  body: (status) =>
    JSON.stringify({
      __type: status === 429 ? 'ThrottlingException' : 'InternalServiceError',
      message: `injected fault (HTTP ${status})`,
    }),
};

export interface FaultProxyOptions {
  /** Short name for the log, e.g. "vault". */
  name: string;
  /** Origin of the real service, e.g. http://127.0.0.1:8200 */
  target: string;
  faults: ProxyFaults;
  seed: number;
  /** Seed stream of this proxy (see seeded-choices.ts). */
  stream: number;
  /** Which requests change the store (only those get their answer dropped after commit). */
  isWrite(method: string, headers: IncomingHttpHeaders): boolean;
  errors: ServiceErrors;
  /** One line per injected fault. */
  log(line: string): void;
}

export interface FaultProxy {
  /** The proxy's origin, e.g. http://127.0.0.1:40123: give it to the worker instead of the store's. */
  url: string;
  /** Faults injected so far, by kind. */
  injected(): Record<ProxyFaultKind, number>;
  /** Turns fault injection on or off (it starts off). */
  setActive(active: boolean): void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;
/** Headers that describe one connection, not the message: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...forwardable(req.headers), 'content-length': String(body.length) },
        timeout: 60_000,
      },
      (res) => {
        readBody(res)
          .then((answer) =>
            resolve({ status: res.statusCode ?? 502, headers: forwardable(res.headers), body: answer }),
          )
          .catch(reject);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', reject);
    upstream.end(body);
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const choices = seededChoices(options.seed, options.stream);
  const injected: Record<ProxyFaultKind, number> = {
    '5xx': 0,
    '429': 0,
    'answer-dropped-after-commit': 0,
    'latency-spike': 0,
  };
  let active = false;
  const note = (kind: ProxyFaultKind, req: IncomingMessage) => {
    injected[kind] += 1;
    // Method and path only: headers and bodies carry tokens and keys.
    options.log(`${options.name} ${kind} ${req.method} ${(req.url ?? '').split('?')[0]}`);
  };

  const server = createServer((req, res) => {
    const handle = async () => {
      const body = await readBody(req);
      const method = req.method ?? 'GET';
      const f = options.faults;
      if (active && choices.chance(f.latencySpikeRate)) {
        note('latency-spike', req);
        await delay(f.latencySpikeMs);
      }
      const status = !active
        ? undefined
        : choices.chance(f.serverErrorRate)
          ? 503
          : choices.chance(f.rateLimitRate)
            ? 429
            : undefined;
      if (status !== undefined) {
        note(status === 503 ? '5xx' : '429', req);
        res.writeHead(status, {
          'content-type': options.errors.contentType,
          ...(status === 429 ? { 'retry-after': String(f.retryAfterSeconds) } : {}),
        });
        res.end(options.errors.body(status));
        return;
      }
      const answer = await forward(target, req, body);
      const committed = answer.status >= 200 && answer.status < 300;
      if (
        active &&
        committed &&
        options.isWrite(method, req.headers) &&
        choices.chance(f.dropAnswerAfterCommitRate)
      ) {
        note('answer-dropped-after-commit', req);
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
      res.end(answer.body);
    };
    handle().catch(() => {
      // The store could not be reached or the request was broken: a bad gateway, nothing echoed.
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': options.errors.contentType });
        res.end(options.errors.body(502));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    injected: () => ({ ...injected }),
    setActive: (on) => {
      active = on;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Vault writes: anything but a read. */
export function isVaultWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'LIST';
}

/** AWS Secrets Manager calls that change a secret (the JSON protocol names the call in a header). */
export function isAwsWrite(_method: string, headers: IncomingHttpHeaders): boolean {
  const target = String(headers['x-amz-target'] ?? '');
  return /\.(PutSecretValue|UpdateSecretVersionStage|CreateSecret|UpdateSecret)$/.test(target);
}
