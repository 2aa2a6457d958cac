/**
 * How every call to OpenRouter's management API is sent: the bearer, a timeout per call, the
 * worker's request-rate limit, no redirects, and a typed failure for every answer that is not 2xx
 * (see response-errors.ts). It never retries (Temporal's retry policy does, using each failure's
 * `retryable` and `retryAfterMs`), never reads the environment, and never puts a key in a message.
 */
import { z } from 'zod';
import { errnoCode } from '../errors/errno.js';
import { registerSecret } from '../errors/redact.js';
import { OpenRouterBadRequestError, OpenRouterNetworkError, OpenRouterResponseError } from './errors.js';
import { pageSchema } from './attachment-schemas.js';
import type { RequestRateLimiter } from './request-rate-limiter.js';
import { errorFromResponse } from './response-errors.js';

export interface OpenRouterClientOptions {
  /** API base URL, e.g. `https://openrouter.ai/api/v1` or the emulator's `apiBaseUrl`. */
  baseUrl: string;
  /** The management key (bearer of every `/keys` call). */
  managementKey: string;
  /** Upper bound of one call, response body included, in milliseconds. @default 30000 */
  timeoutMs?: number;
  /** The `fetch` to use (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Every request waits for its turn here (shared by the clients of a worker). @default none: no limit */
  rateLimiter?: RequestRateLimiter;
}

export interface CallOptions {
  /** Cancels the call (e.g. Temporal activity cancellation); the signal's reason is thrown. */
  signal?: AbortSignal;
}

export interface SendOptions extends CallOptions {
  /** What we are doing, as method and path template, e.g. `GET /guardrails/{id}`: every message names it. */
  operation: string;
  /** What the call is about, for the advice on 403/404 (see `ErrorResponse.subject`). @default a key */
  subject?: string;
  body?: unknown;
  /** Bearer for this call. @default the management key */
  bearer?: string;
}

export interface SentResponse {
  status: number;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  json: unknown;
}

/** One page of a paged management list, as OpenRouter answers it. */
export interface ListPage<T> {
  items: T[];
  /** OpenRouter's `total_count`: how many items the whole list holds now. */
  totalCount: number;
}

/** Safety stop for paging: 100 000 items is far beyond any real account. */
export const MAX_PAGES = 1000;
/** Page size of the paged management lists (guardrails, BYOK, workspaces, …); OpenRouter's maximum. */
export const LIST_PAGE_SIZE = 100;
const DEFAULT_TIMEOUT_MS = 30_000;

export class OpenRouterTransport {
  readonly baseUrl: string;
  readonly #managementKey: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #rateLimiter: RequestRateLimiter | undefined;

  constructor(options: OpenRouterClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#managementKey = options.managementKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#rateLimiter = options.rateLimiter;
    // The management key may not look like an OpenRouter key; make redaction hide it anyway.
    registerSecret(options.managementKey);
  }

  /** Validates a 2xx body; a body of another shape is an {@link OpenRouterResponseError} naming the operation. */
  parse<S extends z.ZodType>(schema: S, res: SentResponse, operation: string): z.output<S> {
    const parsed = schema.safeParse(res.json);
    if (parsed.success) return parsed.data;
    throw new OpenRouterResponseError(
      `OpenRouter ${operation} answered ${res.status} with an unexpected body (${issuesOf(parsed.error)}). Check the base URL; the API may have changed.`,
      { status: res.status },
    );
  }

  /** A call answered with one item as `{data: item}` (`GET /guardrails/{id}`, `PATCH /byok/{id}`, …). */
  async one<S extends z.ZodType>(
    method: string,
    path: string,
    item: S,
    opts: SendOptions,
  ): Promise<z.output<S>> {
    const res = await this.send(method, path, opts);
    const { data } = this.parse(z.object({ data: item }), res, opts.operation) as { data: z.output<S> };
    return data;
  }

  /** `GET path?…&offset=N&limit=L`, one page of a paged list (`{data, total_count}`). */
  async page<S extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    item: S,
    range: { offset: number; limit: number },
    opts: SendOptions,
  ): Promise<ListPage<z.output<S>>> {
    const params = new URLSearchParams({
      ...query,
      offset: String(range.offset),
      limit: String(range.limit),
    });
    const res = await this.send('GET', `${path}?${params.toString()}`, opts);
    const { data, total_count } = this.parse(pageSchema(item), res, opts.operation);
    return { items: data as z.output<S>[], totalCount: total_count };
  }

  /** Every item of a paged list (`offset`/`limit`, `{data, total_count}`), page after page. */
  async listAll<S extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    item: S,
    opts: SendOptions,
  ): Promise<z.output<S>[]> {
    const items: z.output<S>[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const { items: data, totalCount } = await this.page(
        path,
        query,
        item,
        { offset: items.length, limit: LIST_PAGE_SIZE },
        opts,
      );
      items.push(...data);
      if (data.length < LIST_PAGE_SIZE || items.length >= totalCount) return items;
    }
    throw new OpenRouterResponseError(
      `OpenRouter ${opts.operation} still returned full pages after ${MAX_PAGES} pages; stopped paging. Check the base URL.`,
    );
  }

  async send(method: string, path: string, opts: SendOptions): Promise<SentResponse> {
    const bearer = opts.bearer ?? this.#managementKey;
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    // The time limit starts when the request is sent, not while it waits for its turn (rateLimiter).
    let timeout: AbortSignal | undefined;
    const send = () => {
      timeout = AbortSignal.timeout(this.#timeoutMs);
      return this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
        // Never follow a redirect: it would carry the bearer to an address nobody configured.
        redirect: 'manual',
      });
    };

    let status: number;
    let responseHeaders: Headers;
    let bodyText: string;
    try {
      const response = await (this.#rateLimiter ? this.#rateLimiter.run(send, opts.signal) : send());
      status = response.status;
      responseHeaders = response.headers;
      bodyText = await response.text();
    } catch (err) {
      // Cancellation by the caller (Temporal) must surface as the caller's own reason.
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      const mayHaveCreated = method === 'POST' ? ' The key may have been created anyway.' : '';
      if (timeout?.aborted) {
        throw new OpenRouterNetworkError(
          `OpenRouter ${opts.operation} timed out after ${this.#timeoutMs} ms; the call will be retried.${mayHaveCreated}`,
          { timedOut: true, cause: err },
        );
      }
      throw new OpenRouterNetworkError(
        `OpenRouter ${opts.operation} got no response from ${this.baseUrl} (${describeNetworkError(err)}); check the base URL and the network. The call will be retried.${mayHaveCreated}`,
        { cause: err },
      );
    }

    if (status < 200 || status >= 300) {
      throw errorFromResponse({
        operation: opts.operation,
        status,
        headers: responseHeaders,
        bodyText,
        withManagementKey: bearer === this.#managementKey,
        subject: opts.subject,
      });
    }
    return { status, json: parseJson(bodyText) };
  }
}

/** `base/{id}`, the id path-encoded; an empty id is refused before anything is sent. */
export function idPath(base: string, id: string): string {
  if (id.trim() === '') throw new OpenRouterBadRequestError(`An id is required for ${base}/{id}.`);
  return `${base}/${encodeURIComponent(id)}`;
}

/** The `workspace_id` query of a workspace-scoped list; none = the default workspace. */
export function workspaceQuery(workspaceId: string | undefined): Record<string, string> {
  return workspaceId === undefined ? {} : { workspace_id: workspaceId };
}

export function issuesOf(error: z.ZodError): string {
  if (error.issues.length === 0) return 'no body';
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
    .join('; ');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `fetch failed` says nothing; the cause (ECONNREFUSED, ECONNRESET, …) does. */
function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) {
    const code = errnoCode(cause);
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return String(cause);
}
