/**
 * The small JSON-over-HTTP layer the REST destinations (Vault, Infisical) share: a bounded request
 * time, network failures turned into retryable DestinationErrors (an address that cannot exist
 * fails at once), redirects refused, and the
 * generic status verdicts (408/429/5xx retry, honouring Retry-After; other statuses do not).
 *
 * Every request carries a credential (a token header, or a login body with a secret), and `fetch`
 * would re-send both to whatever address a 307/308 names. So redirects are never followed: a 3xx
 * answer is an error that names the target, and the user points the config at the final address.
 */
import { errnoCode } from '../errors/errno.js';
import { DestinationError } from '../errors/rotator-errors.js';
import { parseRetryAfterMs } from '../errors/retry-after.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface JsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: unknown;
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

export interface HttpContext {
  /** Destination description for error messages. */
  destination: string;
  /** Name of the service for messages, e.g. "Vault". */
  service: string;
  /** The config field that holds the service's address, named when a redirect is refused. */
  addressField: string;
  fetch: FetchLike;
  timeoutMs: number;
}

/** The HTTP context of a destination, from its optional test hooks (fetch, timeout). */
export function httpContext(
  destination: string,
  service: string,
  addressField: string,
  deps: { fetch?: FetchLike; requestTimeoutMs?: number },
): HttpContext {
  return {
    destination,
    service,
    addressField,
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    timeoutMs: deps.requestTimeoutMs ?? 30_000,
  };
}

/**
 * Sends the request; any non-redirect answer is returned (whatever the status), no answer throws a
 * retryable error, a redirect throws a non-retryable one.
 */
export async function requestJson(ctx: HttpContext, request: JsonRequest): Promise<JsonResponse> {
  let response: Response;
  let text: string;
  try {
    response = await ctx.fetch(request.url, {
      method: request.method,
      headers: {
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...request.headers,
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(ctx.timeoutMs),
      // Following would re-send the token header or the login secret to the redirect's target.
      redirect: 'manual',
    });
    text = await response.text();
  } catch (err) {
    const badAddress = unusableAddress(err);
    if (badAddress) {
      throw new DestinationError(
        ctx.destination,
        `cannot reach ${ctx.service} at ${origin(request.url)}: ${badAddress}; set the ${ctx.addressField} to a reachable address`,
        { cause: err },
      );
    }
    const reason =
      err instanceof Error && err.name === 'TimeoutError'
        ? `no answer within ${ctx.timeoutMs} ms`
        : networkReason(err);
    throw new DestinationError(
      ctx.destination,
      `could not reach ${ctx.service} at ${origin(request.url)} (${reason})`,
      {
        retryable: true,
        cause: err,
      },
    );
  }
  if (response.status >= 300 && response.status < 400) throw redirectRefused(ctx, request.url, response);
  return { status: response.status, headers: response.headers, body: jsonBodyOf(text) };
}

/** A response body as JSON; undefined when it is empty or not JSON (callers judge the status first). */
export function jsonBodyOf(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The error for a 3xx answer: names where the service wanted us to go, and what to change. */
function redirectRefused(ctx: HttpContext, requestUrl: string, response: Response): DestinationError {
  const location = response.headers.get('location');
  let target = 'an address it did not give';
  if (location) {
    try {
      target = new URL(location, requestUrl).href;
    } catch {
      target = location;
    }
  }
  return new DestinationError(
    ctx.destination,
    `${ctx.service} answered a redirect (${response.status}) to ${target}; redirects are not followed so ` +
      `credentials are never sent elsewhere: set the ${ctx.addressField} to the final URL`,
    { retryable: false },
  );
}

/** A DestinationError for a status no caller handled specially: retryable for 408, 429 and 5xx. */
export function unexpectedStatus(
  ctx: HttpContext,
  response: JsonResponse,
  action: string,
  detail: string,
): DestinationError {
  const { status } = response;
  const retryable = status === 408 || status === 429 || status >= 500;
  const suffix = retryable ? '; will retry' : '';
  return new DestinationError(
    ctx.destination,
    `${ctx.service} answered HTTP ${status} to ${action}${detail ? `: ${detail}` : ''}${suffix}`,
    {
      retryable,
      retryAfterMs: retryable ? retryAfterMs(response.headers) : undefined,
    },
  );
}

/** Retry-After (seconds or an HTTP date) in milliseconds, if present and sensible. */
export function retryAfterMs(headers: Headers): number | undefined {
  return parseRetryAfterMs(headers.get('retry-after'));
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Why the address itself cannot work, when retrying it cannot help: a host name that does not
 * exist (ENOTFOUND, unlike a DNS server that is only slow: EAI_AGAIN) or a URL fetch cannot parse.
 */
function unusableAddress(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (errnoCode(cause) === 'ENOTFOUND') return 'its host name does not resolve (ENOTFOUND)';
  if (errnoCode(err) === 'ERR_INVALID_URL' || errnoCode(cause) === 'ERR_INVALID_URL')
    return 'it is not a valid URL';
  return undefined;
}

function networkReason(err: unknown): string {
  // fetch reports "fetch failed" and puts the useful part (ECONNREFUSED…) in `cause`.
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = errnoCode(cause);
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
