/**
 * A small typed `fetch` client for OpenRouter's key-management API. It never retries (Temporal's
 * retry policy does, using each failure's `retryable` and `retryAfterMs`), never reads the
 * environment, bounds every call with a timeout, and never puts a key in an error message.
 */
import { type z } from 'zod';
import { registerSecret } from '../redact.js';
import {
  OpenRouterBadRequestError,
  OpenRouterNetworkError,
  OpenRouterNotFoundError,
  OpenRouterResponseError,
} from './errors.js';
import { type CreateKeyRequest, type UpdateKeyRequest, createKeyBody, updateKeyBody } from './requests.js';
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
export type { CreateKeyRequest, LimitReset, UpdateKeyRequest } from './requests.js';

export interface OpenRouterClientOptions {
  /** API base URL, e.g. `https://openrouter.ai/api/v1` or the emulator's `apiBaseUrl`. */
  baseUrl: string;
  /** The management key (bearer of every `/keys` call). */
  managementKey: string;
  /** Upper bound of one call, response body included, in milliseconds. @default 30000 */
  timeoutMs?: number;
  /** The `fetch` to use (tests). @default globalThis.fetch */
  fetch?: typeof fetch;
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

interface SendOptions extends CallOptions {
  operation: string;
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

  constructor(options: OpenRouterClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#managementKey = options.managementKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
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

  /** Changes a key (e.g. `{ disabled: true }`); a missing key throws {@link OpenRouterNotFoundError}. */
  async updateKey(hash: string, patch: UpdateKeyRequest, opts: CallOptions = {}): Promise<KeyRecord> {
    const operation = `PATCH /keys/${hash}`;
    const res = await this.#send('PATCH', keyPath(hash), {
      operation,
      body: updateKeyBody(patch),
      signal: opts.signal,
    });
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
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';

    let status: number;
    let responseHeaders: Headers;
    let bodyText: string;
    try {
      const response = await this.#fetch(`${this.#baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal,
        // Never follow a redirect: it would carry the bearer to an address nobody configured.
        redirect: 'manual',
      });
      status = response.status;
      responseHeaders = response.headers;
      bodyText = await response.text();
    } catch (err) {
      // Cancellation by the caller (Temporal) must surface as the caller's own reason.
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      const mayHaveCreated = method === 'POST' ? ' The key may have been created anyway.' : '';
      if (timeout.aborted) {
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
    const code = 'code' in cause && typeof cause.code === 'string' ? `${cause.code}: ` : '';
    return `${code}${cause.message}`;
  }
  return String(cause);
}
