/**
 * A small typed `fetch` client for OpenRouter's key-management API. It never retries (Temporal's
 * retry policy does, using each failure's `retryable` and `retryAfterMs`), never reads the
 * environment, bounds every call with a timeout, and never puts a key in an error message.
 */
import { z } from 'zod';
import { errnoCode } from '../errors/errno.js';
import { registerSecret } from '../errors/redact.js';
import {
  OpenRouterBadRequestError,
  OpenRouterNetworkError,
  OpenRouterNotFoundError,
  OpenRouterResponseError,
} from './errors.js';
import { type CreateKeyRequest, createKeyBody, formatExpiresAt } from './requests.js';
import {
  type ByokKey,
  type Guardrail,
  type KeyAssignment,
  type ObservabilityDestination,
  type Workspace,
  assignedCountSchema,
  byokKeySchema,
  guardrailSchema,
  keyAssignmentSchema,
  observabilityDestinationSchema,
  pageSchema,
  requestCountResponseSchema,
  unassignedCountSchema,
  workspaceSchema,
} from './attachment-schemas.js';
import type { RequestRateLimiter } from './request-rate-limiter.js';
import { errorFromResponse } from './response-errors.js';
import {
  type CreatedKey,
  type CurrentKey,
  type KeyRecord,
  createdKeyResponseSchema,
  currentKeyResponseSchema,
  isOpenRouterApiKey,
  keyListResponseSchema,
  keyResponseSchema,
  OPENROUTER_KEY_PREFIX,
} from './schemas.js';

export type { CreatedKey, CurrentKey, KeyRecord } from './schemas.js';
export type {
  ByokKey,
  Guardrail,
  KeyAssignment,
  ObservabilityDestination,
  Workspace,
} from './attachment-schemas.js';
export type { CreateKeyRequest, LimitReset } from './requests.js';

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

/** OpenRouter's fixed page size for `GET /keys`. */
export const KEYS_PAGE_SIZE = 100;
/** Safety stop for paging: 100 000 keys is far beyond any real account. */
const MAX_PAGES = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Request counts of one key in a time range, from the analytics API. */
export interface RequestCount {
  /** Requests counted, free-model and BYOK traffic included. */
  requests: number;
  /** OpenRouter cut the answer short: `requests` may be too low. */
  truncated: boolean;
  /** OpenRouter's warnings, e.g. a key hash it could not resolve (the count then means nothing). */
  warnings: string[];
}

/** Page size of the paged management lists (guardrails, BYOK, workspaces, …); OpenRouter's maximum. */
const LIST_PAGE_SIZE = 100;

interface SendOptions extends CallOptions {
  operation: string;
  /** What the call is about, for the advice on 403/404 (see `ErrorResponse.subject`). @default a key */
  subject?: string;
  body?: unknown;
  /** Bearer for this call. @default the management key */
  bearer?: string;
}

interface SentResponse {
  status: number;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  json: unknown;
}

export class OpenRouterClient {
  readonly #baseUrl: string;
  readonly #managementKey: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #rateLimiter: RequestRateLimiter | undefined;

  constructor(options: OpenRouterClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#managementKey = options.managementKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#rateLimiter = options.rateLimiter;
    // The management key may not look like an OpenRouter key; make redaction hide it anyway.
    registerSecret(options.managementKey);
  }

  /**
   * Every key, following OpenRouter's offset paging to the last page. Keys created or deleted while
   * paging shift the pages; duplicates are dropped, but a key can be missed, so callers that must
   * be sure look a key up with {@link getKey}.
   */
  async listKeys(
    opts: { includeDisabled?: boolean; workspaceId?: string } & CallOptions = {},
  ): Promise<KeyRecord[]> {
    const byHash = new Map<string, KeyRecord>();
    let offset = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ offset: String(offset) });
      if (opts.includeDisabled) query.set('include_disabled', 'true');
      if (opts.workspaceId !== undefined) query.set('workspace_id', opts.workspaceId);
      const operation = 'GET /keys';
      const res = await this.#send('GET', `/keys?${query.toString()}`, { operation, signal: opts.signal });
      const { data } = this.#parse(keyListResponseSchema, res, operation);
      for (const record of data) if (!byHash.has(record.hash)) byHash.set(record.hash, record);
      if (data.length < KEYS_PAGE_SIZE) return [...byHash.values()];
      offset += data.length;
    }
    throw new OpenRouterResponseError(
      `OpenRouter GET /keys still returned full pages after ${MAX_PAGES} pages; stopped paging. Check the base URL.`,
    );
  }

  /**
   * Creates a key. The secret (`key`) is shown only here. If the response does not validate, the
   * thrown {@link OpenRouterResponseError} carries `createdKey`/`createdHash` when they were present.
   * A new key that is not shaped like an OpenRouter key is deleted again before the call fails
   * (see {@link isOpenRouterApiKey}); the error then carries only its hash.
   */
  async createKey(req: CreateKeyRequest, opts: CallOptions = {}): Promise<CreatedKey> {
    const operation = 'POST /keys';
    const res = await this.#send('POST', '/keys', {
      operation,
      body: createKeyBody(req),
      signal: opts.signal,
    });
    const parsed = createdKeyResponseSchema.safeParse(res.json);
    if (parsed.success) {
      if (isOpenRouterApiKey(parsed.data.key)) return parsed.data;
      throw await this.#discardMalformedKey(parsed.data, res.status);
    }

    const createdKey = stringAt(res.json, 'key');
    const createdHash = stringAt(fieldOf(res.json, 'data'), 'hash');
    const found = createdHash
      ? ` A key with hash ${createdHash} was created: keep or delete it.`
      : createdKey
        ? ' A key was created (its secret is on this error as createdKey): keep or delete it.'
        : '';
    throw new OpenRouterResponseError(
      `OpenRouter ${operation} answered ${res.status} with an unexpected body (${issuesOf(parsed.error)}).${found}`,
      { status: res.status, createdKey, createdHash },
    );
  }

  /** One key by hash; a missing key throws {@link OpenRouterNotFoundError}. */
  async getKey(hash: string, opts: CallOptions = {}): Promise<KeyRecord> {
    const operation = `GET /keys/${hash}`;
    const res = await this.#send('GET', keyPath(hash), { operation, signal: opts.signal });
    return this.#parse(keyResponseSchema, res, operation).data;
  }

  /** Deletes a key. A 404 means someone (or an earlier attempt) deleted it already: not an error. */
  async deleteKey(hash: string, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
    const operation = `DELETE /keys/${hash}`;
    try {
      const res = await this.#send('DELETE', keyPath(hash), { operation, signal: opts.signal });
      if (
        typeof res.json === 'object' &&
        res.json !== null &&
        'deleted' in res.json &&
        res.json.deleted === false
      ) {
        throw new OpenRouterResponseError(
          `OpenRouter ${operation} answered ${res.status} but said the key was not deleted; check the key at OpenRouter.`,
          { status: res.status },
        );
      }
      return { alreadyGone: false };
    } catch (err) {
      if (err instanceof OpenRouterNotFoundError) return { alreadyGone: true };
      throw err;
    }
  }

  /** `GET /key`: what OpenRouter says about `key` (default: the management key). Verifies a key works. */
  async currentKey(opts: { key?: string } & CallOptions = {}): Promise<CurrentKey> {
    const operation = 'GET /key';
    if (opts.key !== undefined) registerSecret(opts.key);
    const res = await this.#send('GET', '/key', { operation, bearer: opts.key, signal: opts.signal });
    return this.#parse(currentKeyResponseSchema, res, operation).data;
  }

  /** One workspace (404: {@link OpenRouterNotFoundError}). */
  async getWorkspace(id: string, opts: CallOptions = {}): Promise<Workspace> {
    const operation = 'GET /workspaces/{id}';
    const res = await this.#send('GET', idPath('/workspaces', id), {
      ...opts,
      operation,
      subject: 'workspace',
    });
    return this.#parse(z.object({ data: workspaceSchema }), res, operation).data;
  }

  /** Every workspace of the account. */
  listWorkspaces(opts: CallOptions = {}): Promise<Workspace[]> {
    return this.#listAll('/workspaces', {}, workspaceSchema, {
      ...opts,
      operation: 'GET /workspaces',
      subject: 'workspace',
    });
  }

  /** One guardrail (404: {@link OpenRouterNotFoundError}). */
  async getGuardrail(id: string, opts: CallOptions = {}): Promise<Guardrail> {
    const operation = 'GET /guardrails/{id}';
    const res = await this.#send('GET', idPath('/guardrails', id), {
      ...opts,
      operation,
      subject: 'guardrail',
    });
    return this.#parse(z.object({ data: guardrailSchema }), res, operation).data;
  }

  /** Keys assigned directly to a guardrail: to `guardrailId`, or to any guardrail. */
  listKeyAssignments(opts: { guardrailId?: string } & CallOptions = {}): Promise<KeyAssignment[]> {
    const path =
      opts.guardrailId === undefined
        ? '/guardrails/assignments/keys'
        : `${idPath('/guardrails', opts.guardrailId)}/assignments/keys`;
    return this.#listAll(path, {}, keyAssignmentSchema, {
      signal: opts.signal,
      operation: `GET ${opts.guardrailId === undefined ? '/guardrails' : '/guardrails/{id}'}/assignments/keys`,
      subject: 'guardrail',
    });
  }

  /** Assigns a guardrail to keys; a key holds one guardrail, so this replaces theirs. Idempotent. */
  async assignGuardrail(
    guardrailId: string,
    keyHashes: string[],
    opts: CallOptions = {},
  ): Promise<{ assignedCount: number }> {
    const operation = 'POST /guardrails/{id}/assignments/keys';
    const res = await this.#send('POST', `${idPath('/guardrails', guardrailId)}/assignments/keys`, {
      ...opts,
      operation,
      subject: 'guardrail',
      body: { key_hashes: keyHashes },
    });
    return { assignedCount: this.#parse(assignedCountSchema, res, operation).assigned_count };
  }

  /** Removes keys from a guardrail (keys not assigned to it are left alone). Idempotent. */
  async unassignGuardrail(
    guardrailId: string,
    keyHashes: string[],
    opts: CallOptions = {},
  ): Promise<{ unassignedCount: number }> {
    const operation = 'POST /guardrails/{id}/assignments/keys/remove';
    const res = await this.#send('POST', `${idPath('/guardrails', guardrailId)}/assignments/keys/remove`, {
      ...opts,
      operation,
      subject: 'guardrail',
      body: { key_hashes: keyHashes },
    });
    return { unassignedCount: this.#parse(unassignedCountSchema, res, operation).unassigned_count };
  }

  /** BYOK provider credentials of a workspace (default: the default workspace). */
  listByokKeys(opts: { workspaceId?: string } & CallOptions = {}): Promise<ByokKey[]> {
    return this.#listAll('/byok', workspaceQuery(opts.workspaceId), byokKeySchema, {
      signal: opts.signal,
      operation: 'GET /byok',
      subject: 'BYOK',
    });
  }

  /** One BYOK provider credential (404: {@link OpenRouterNotFoundError}). */
  async getByokKey(id: string, opts: CallOptions = {}): Promise<ByokKey> {
    const operation = 'GET /byok/{id}';
    const res = await this.#send('GET', idPath('/byok', id), { ...opts, operation, subject: 'BYOK' });
    return this.#parse(z.object({ data: byokKeySchema }), res, operation).data;
  }

  /**
   * Replaces the key hashes allowed to use a BYOK credential (`null` lifts the restriction, a list
   * must name at least one key). Sends only that field, so nothing else of the credential changes.
   */
  async setByokAllowedKeys(id: string, keyHashes: string[] | null, opts: CallOptions = {}): Promise<ByokKey> {
    const operation = 'PATCH /byok/{id}';
    const res = await this.#send('PATCH', idPath('/byok', id), {
      ...opts,
      operation,
      subject: 'BYOK',
      body: { allowed_api_key_hashes: keyHashes },
    });
    return this.#parse(z.object({ data: byokKeySchema }), res, operation).data;
  }

  /** Observability destinations of a workspace (default: the default workspace). */
  listObservabilityDestinations(
    opts: { workspaceId?: string } & CallOptions = {},
  ): Promise<ObservabilityDestination[]> {
    return this.#listAll(
      '/observability/destinations',
      workspaceQuery(opts.workspaceId),
      observabilityDestinationSchema,
      {
        signal: opts.signal,
        operation: 'GET /observability/destinations',
        subject: 'observability',
      },
    );
  }

  /** One observability destination (404: {@link OpenRouterNotFoundError}). */
  async getObservabilityDestination(id: string, opts: CallOptions = {}): Promise<ObservabilityDestination> {
    const operation = 'GET /observability/destinations/{id}';
    const res = await this.#send('GET', idPath('/observability/destinations', id), {
      ...opts,
      operation,
      subject: 'observability',
    });
    return this.#parse(z.object({ data: observabilityDestinationSchema }), res, operation).data;
  }

  /** Replaces the key hashes whose traffic a destination forwards (`null` = every key). Sends only that field. */
  async setObservabilityKeys(
    id: string,
    keyHashes: string[] | null,
    opts: CallOptions = {},
  ): Promise<ObservabilityDestination> {
    const operation = 'PATCH /observability/destinations/{id}';
    const res = await this.#send('PATCH', idPath('/observability/destinations', id), {
      ...opts,
      operation,
      subject: 'observability',
      body: { api_key_hashes: keyHashes },
    });
    return this.#parse(z.object({ data: observabilityDestinationSchema }), res, operation).data;
  }

  /**
   * Requests made with the key `keyHash` in `[start, end)`, from the analytics API (metric
   * `request_count`, an `api_key_id` filter by hash, hourly buckets summed). Unlike a key's USD
   * usage, this counts free-model and BYOK traffic. Times go out as ISO 8601 with seconds.
   */
  async countRequests(
    keyHash: string,
    range: { start: Date; end: Date },
    opts: CallOptions = {},
  ): Promise<RequestCount> {
    const operation = 'POST /analytics/query';
    const res = await this.#send('POST', '/analytics/query', {
      ...opts,
      operation,
      subject: 'analytics',
      body: {
        metrics: ['request_count'],
        filters: [{ field: 'api_key_id', operator: 'eq', value: keyHash }],
        granularity: 'hour',
        time_range: { start: formatExpiresAt(range.start), end: formatExpiresAt(range.end) },
      },
    });
    const { data } = this.#parse(requestCountResponseSchema, res, operation);
    return {
      requests: data.data.reduce((sum, row) => sum + row.request_count, 0),
      truncated: data.metadata.truncated,
      warnings: data.warnings ?? [],
    };
  }

  /** Every item of a paged list (`offset`/`limit`, `{data, total_count}`), page after page. */
  async #listAll<S extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    item: S,
    opts: SendOptions,
  ): Promise<z.output<S>[]> {
    const items: z.output<S>[] = [];
    const schema = pageSchema(item);
    for (let page = 0; page < MAX_PAGES; page++) {
      const params = new URLSearchParams({
        ...query,
        offset: String(items.length),
        limit: String(LIST_PAGE_SIZE),
      });
      const res = await this.#send('GET', `${path}?${params.toString()}`, opts);
      const { data, total_count } = this.#parse(schema, res, opts.operation);
      items.push(...(data as z.output<S>[]));
      if (data.length < LIST_PAGE_SIZE || items.length >= total_count) return items;
    }
    throw new OpenRouterResponseError(
      `OpenRouter ${opts.operation} still returned full pages after ${MAX_PAGES} pages; stopped paging. Check the base URL.`,
    );
  }

  /**
   * A created key whose secret has the wrong shape must not be stored, and must not be left behind
   * at OpenRouter either: the caller cannot use it, and nobody else knows it exists. So it is deleted
   * here, by hash, before the create fails. The key never appears in the error (only its length
   * and whether it has the expected prefix).
   */
  async #discardMalformedKey(created: CreatedKey, status: number): Promise<OpenRouterResponseError> {
    registerSecret(created.key);
    const { hash } = created.data;
    const said =
      `OpenRouter POST /keys returned a new key that is not an OpenRouter API key (expected ` +
      `${OPENROUTER_KEY_PREFIX} and 64 lowercase hex characters, got ${describeShape(created.key)}); it was not stored`;
    try {
      // Not bound to the caller's signal: the clean-up must finish even if the caller gave up.
      await this.deleteKey(hash);
    } catch (err) {
      // Retryable: a retried create first deletes an earlier attempt's key by name.
      return new OpenRouterResponseError(
        `${said}, and deleting that key (hash ${hash}) failed: ${err instanceof Error ? err.message : String(err)} ` +
          'A retry deletes it by name before creating again; if none does, delete it by hand.',
        { status, createdHash: hash, retryable: true, cause: err },
      );
    }
    return new OpenRouterResponseError(
      `${said} and was deleted at OpenRouter (hash ${hash}). Check that the base URL points at OpenRouter; ` +
        'if OpenRouter changed its key format, this tool needs an update.',
      { status, createdHash: hash, retryable: false },
    );
  }

  #parse<S extends z.ZodType>(schema: S, res: SentResponse, operation: string): z.output<S> {
    const parsed = schema.safeParse(res.json);
    if (parsed.success) return parsed.data;
    throw new OpenRouterResponseError(
      `OpenRouter ${operation} answered ${res.status} with an unexpected body (${issuesOf(parsed.error)}). Check the base URL; the API may have changed.`,
      { status: res.status },
    );
  }

  async #send(method: string, path: string, opts: SendOptions): Promise<SentResponse> {
    const bearer = opts.bearer ?? this.#managementKey;
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    // The time limit starts when the request is sent, not while it waits for its turn (rateLimiter).
    let timeout: AbortSignal | undefined;
    const send = () => {
      timeout = AbortSignal.timeout(this.#timeoutMs);
      return this.#fetch(`${this.#baseUrl}${path}`, {
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
        `OpenRouter ${opts.operation} got no response from ${this.#baseUrl} (${describeNetworkError(err)}); check the base URL and the network. The call will be retried.${mayHaveCreated}`,
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

/** A key's shape for messages, without any of its secret part: its length and whether it has our prefix. */
function describeShape(key: string): string {
  const prefix = key.startsWith(OPENROUTER_KEY_PREFIX)
    ? `starting with ${OPENROUTER_KEY_PREFIX}`
    : `not starting with ${OPENROUTER_KEY_PREFIX}`;
  return `${key.length} characters ${prefix}`;
}

/** `base/{id}`, the id path-encoded; an empty id is refused before anything is sent. */
function idPath(base: string, id: string): string {
  if (id.trim() === '') throw new OpenRouterBadRequestError(`An id is required for ${base}/{id}.`);
  return `${base}/${encodeURIComponent(id)}`;
}

function workspaceQuery(workspaceId: string | undefined): Record<string, string> {
  return workspaceId === undefined ? {} : { workspace_id: workspaceId };
}

function keyPath(hash: string): string {
  if (hash.trim() === '') throw new OpenRouterBadRequestError('A key hash is required.');
  return `/keys/${encodeURIComponent(hash)}`;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
}

function stringAt(value: unknown, field: string): string | undefined {
  const found = fieldOf(value, field);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

function issuesOf(error: z.ZodError): string {
  if (error.issues.length === 0) return 'no body';
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
    .join('; ');
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
