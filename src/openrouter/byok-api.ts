/**
 * BYOK provider credentials. They belong to the account, not to a key, but each may carry an
 * allow-list of key hashes (`allowed_api_key_hashes`) that a new key must join.
 */
import { type ByokKey, byokKeySchema } from './attachment-schemas.js';
import { type CallOptions, idPath, type OpenRouterTransport, workspaceQuery } from './transport.js';

export function byokApi(transport: OpenRouterTransport) {
  return {
    /** BYOK provider credentials of a workspace (default: the default workspace). */
    listByokKeys(opts: { workspaceId?: string } & CallOptions = {}): Promise<ByokKey[]> {
      return transport.listAll('/byok', workspaceQuery(opts.workspaceId), byokKeySchema, {
        signal: opts.signal,
        operation: 'GET /byok',
        subject: 'BYOK credential',
      });
    },

    /** One BYOK provider credential (404: {@link OpenRouterNotFoundError}). */
    getByokKey(id: string, opts: CallOptions = {}): Promise<ByokKey> {
      return transport.one('GET', idPath('/byok', id), byokKeySchema, {
        ...opts,
        operation: 'GET /byok/{id}',
        subject: 'BYOK credential',
      });
    },

    /**
     * Replaces the key hashes allowed to use a BYOK credential (`null` lifts the restriction, a list
     * must name at least one key). Sends only that field, so nothing else of the credential changes.
     */
    setByokAllowedKeys(id: string, keyHashes: string[] | null, opts: CallOptions = {}): Promise<ByokKey> {
      return transport.one('PATCH', idPath('/byok', id), byokKeySchema, {
        ...opts,
        operation: 'PATCH /byok/{id}',
        subject: 'BYOK credential',
        body: { allowed_api_key_hashes: keyHashes },
      });
    },
  };
}

export type ByokApi = ReturnType<typeof byokApi>;
