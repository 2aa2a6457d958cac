/**
 * A small Kubernetes API client over node:https: JSON requests to the server that kubeconfig.ts
 * found, which verify the server's certificate, time out and never follow a redirect, and the
 * verdict on a status the caller did not handle.
 */
import { request, type RequestOptions } from 'node:https';
import { z } from 'zod';
import { errnoCode } from '../../errors/errno.js';
import { DestinationError } from '../../errors/rotator-errors.js';
import { jsonBodyOf, retryAfterMs } from '../http-json.js';
import type { KubeConnection } from './kubeconfig.js';

export interface KubeResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when empty or not JSON. */
  body: unknown;
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** API path with query, e.g. /api/v1/namespaces/x/secrets/y?fieldManager=z */
  path: string;
  body?: unknown;
  /** @default "application/json" */
  contentType?: string;
}

/**
 * Sends one request. Any non-redirect answer is returned whatever its status; no answer throws a
 * retryable DestinationError, a redirect a non-retryable one (following it would send the token
 * elsewhere).
 */
export async function kubeRequest(
  connection: KubeConnection,
  req: KubeRequest,
  description: string,
  timeoutMs: number,
): Promise<KubeResponse> {
  const url = new URL(connection.server.replace(/\/+$/, '') + req.path);
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const token = connection.token?.();
  const options: RequestOptions = {
    method: req.method,
    ca: connection.ca,
    cert: connection.clientCertificate,
    key: connection.clientKey,
    servername: connection.tlsServerName,
    rejectUnauthorized: true,
    agent: false,
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(payload === undefined
        ? {}
        : {
            'content-type': req.contentType ?? 'application/json',
            'content-length': Buffer.byteLength(payload),
          }),
    },
  };
  let status: number;
  let headers: Headers;
  let text: string;
  try {
    ({ status, headers, text } = await new Promise<{ status: number; headers: Headers; text: string }>(
      (resolve, reject) => {
        const outgoing = request(url, options, (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const h = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (typeof value === 'string') h.set(name, value);
              else if (Array.isArray(value)) for (const v of value) h.append(name, v);
            }
            resolve({
              status: incoming.statusCode ?? 0,
              headers: h,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
        });
        outgoing.on('error', reject);
        outgoing.end(payload);
      },
    ));
  } catch (err) {
    throw unreachable(err, url, description, timeoutMs);
  }
  if (status >= 300 && status < 400) {
    const location = headers.get('location');
    throw new DestinationError(
      description,
      `the Kubernetes API server answered a redirect (${status}) to ${location ? safeTarget(location, url) : 'an address it did not give'}; ` +
        'redirects are not followed so credentials are never sent elsewhere: point the kubeconfig and auth.server at the final URL',
    );
  }
  return { status, headers, body: jsonBodyOf(text) };
}

/** TLS failures are a setup problem (wrong CA, wrong name) that a retry cannot fix; the rest may pass. */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function unreachable(err: unknown, url: URL, description: string, timeoutMs: number): DestinationError {
  const code = errnoCode(err);
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return new DestinationError(
      description,
      `no answer from the Kubernetes API server at ${url.origin} within ${timeoutMs} ms`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
  if (code !== undefined && TLS_CODES.has(code)) {
    return new DestinationError(
      description,
      `the Kubernetes API server at ${url.origin} failed TLS verification (${code}); give the cluster's CA ` +
        '(certificate-authority-data in the kubeconfig) and check the server name; verification is never turned off',
      { cause: err },
    );
  }
  const reason = err instanceof Error ? `${code ? `${code}: ` : ''}${err.message}` : String(err);
  return new DestinationError(
    description,
    `could not reach the Kubernetes API server at ${url.origin} (${reason})`,
    {
      retryable: true,
      cause: err,
    },
  );
}

function safeTarget(location: string, base: URL): string {
  try {
    const target = new URL(location, base);
    return `${target.origin}${target.pathname}`;
  } catch {
    return '(an unparseable address)';
  }
}

/** Kubernetes' error body (a `Status` object): its reason and message, when present. */
const statusBody = z.object({ reason: z.string().optional(), message: z.string().optional() }).loose();

export function statusOf(response: KubeResponse): { reason: string; message: string } {
  const parsed = statusBody.safeParse(response.body);
  return {
    reason: parsed.success ? (parsed.data.reason ?? '') : '',
    message: parsed.success ? (parsed.data.message ?? '') : '',
  };
}

/** The error for a status the caller did not handle: 408/429/5xx retry (honouring Retry-After), others do not. */
export function unexpectedKubeStatus(
  response: KubeResponse,
  action: string,
  description: string,
): DestinationError {
  const { status } = response;
  const retryable = status === 408 || status === 429 || status >= 500;
  const { message } = statusOf(response);
  return new DestinationError(
    description,
    `the Kubernetes API server answered HTTP ${status} to ${action}${message ? `: ${message}` : ''}${retryable ? '; will retry' : ''}`,
    { retryable, retryAfterMs: retryable ? retryAfterMs(response.headers) : undefined },
  );
}
