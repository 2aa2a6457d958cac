/**
 * API keys: list, create, look up, delete, and `GET /key` (what OpenRouter says about the key in
 * the bearer). Creating is the one call that is not idempotent, and its answer holds the only copy
 * of the secret: see {@link KeysApi.createKey}.
 */
import { registerSecret } from '../errors/redact.js';
import { OpenRouterBadRequestError, OpenRouterNotFoundError, OpenRouterResponseError } from './errors.js';
import { type CreateKeyRequest, createKeyBody } from './requests.js';
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
import { type CallOptions, issuesOf, MAX_PAGES, type OpenRouterTransport } from './transport.js';

/** OpenRouter's fixed page size for `GET /keys`. */
export const KEYS_PAGE_SIZE = 100;

export function keysApi(transport: OpenRouterTransport) {
  const api = {
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
        const res = await transport.send('GET', `/keys?${query.toString()}`, {
          operation,
          signal: opts.signal,
        });
        const { data } = transport.parse(keyListResponseSchema, res, operation);
        for (const record of data) if (!byHash.has(record.hash)) byHash.set(record.hash, record);
        if (data.length < KEYS_PAGE_SIZE) return [...byHash.values()];
        offset += data.length;
      }
      throw new OpenRouterResponseError(
        `OpenRouter GET /keys still returned full pages after ${MAX_PAGES} pages; stopped paging. Check the base URL.`,
      );
    },

    /**
     * Creates a key. The secret (`key`) is shown only here. If the response does not validate, the
     * thrown {@link OpenRouterResponseError} carries `createdKey`/`createdHash` when they were present.
     * A new key that is not shaped like an OpenRouter key is deleted again before the call fails
     * (see {@link isOpenRouterApiKey}); the error then carries only its hash.
     */
    async createKey(req: CreateKeyRequest, opts: CallOptions = {}): Promise<CreatedKey> {
      const operation = 'POST /keys';
      const res = await transport.send('POST', '/keys', {
        operation,
        body: createKeyBody(req),
        signal: opts.signal,
      });
      const parsed = createdKeyResponseSchema.safeParse(res.json);
      if (parsed.success) {
        if (isOpenRouterApiKey(parsed.data.key)) return parsed.data;
        throw await discardMalformedKey(parsed.data, res.status);
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
    },

    /** One key by hash; a missing key throws {@link OpenRouterNotFoundError}. */
    async getKey(hash: string, opts: CallOptions = {}): Promise<KeyRecord> {
      const operation = `GET /keys/${hash}`;
      const res = await transport.send('GET', keyPath(hash), { operation, signal: opts.signal });
      return transport.parse(keyResponseSchema, res, operation).data;
    },

    /** Deletes a key. A 404 means someone (or an earlier attempt) deleted it already: not an error. */
    async deleteKey(hash: string, opts: CallOptions = {}): Promise<{ alreadyGone: boolean }> {
      const operation = `DELETE /keys/${hash}`;
      try {
        const res = await transport.send('DELETE', keyPath(hash), { operation, signal: opts.signal });
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
    },

    /** `GET /key`: what OpenRouter says about `key` (default: the management key). Verifies a key works. */
    async currentKey(opts: { key?: string } & CallOptions = {}): Promise<CurrentKey> {
      const operation = 'GET /key';
      if (opts.key !== undefined) registerSecret(opts.key);
      const res = await transport.send('GET', '/key', { operation, bearer: opts.key, signal: opts.signal });
      return transport.parse(currentKeyResponseSchema, res, operation).data;
    },
  };

  /**
   * A created key whose secret has the wrong shape must not be stored, and must not be left behind
   * at OpenRouter either: the caller cannot use it, and nobody else knows it exists. So it is deleted
   * here, by hash, before the create fails. The key never appears in the error (only its length
   * and whether it has the expected prefix).
   */
  async function discardMalformedKey(created: CreatedKey, status: number): Promise<OpenRouterResponseError> {
    registerSecret(created.key);
    const { hash } = created.data;
    const said =
      `OpenRouter POST /keys returned a new key that is not an OpenRouter API key (expected ` +
      `${OPENROUTER_KEY_PREFIX} and 64 lowercase hex characters, got ${describeShape(created.key)}); it was not stored`;
    try {
      // Not bound to the caller's signal: the clean-up must finish even if the caller gave up.
      await api.deleteKey(hash);
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

  return api;
}

export type KeysApi = ReturnType<typeof keysApi>;

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

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
}

function stringAt(value: unknown, field: string): string | undefined {
  const found = fieldOf(value, field);
  return typeof found === 'string' && found !== '' ? found : undefined;
}
