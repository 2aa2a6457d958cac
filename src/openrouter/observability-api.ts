/**
 * Observability destinations (traces forwarded to Langfuse, webhooks, …). Each may carry a list of
 * key hashes whose traffic it forwards (`api_key_hashes`) that a new key must join.
 */
import { type ObservabilityDestination, observabilityDestinationSchema } from './attachment-schemas.js';
import { type CallOptions, idPath, type OpenRouterTransport, workspaceQuery } from './transport.js';

export function observabilityApi(transport: OpenRouterTransport) {
  return {
    /** Observability destinations of a workspace (default: the default workspace). */
    listObservabilityDestinations(
      opts: { workspaceId?: string } & CallOptions = {},
    ): Promise<ObservabilityDestination[]> {
      return transport.listAll(
        '/observability/destinations',
        workspaceQuery(opts.workspaceId),
        observabilityDestinationSchema,
        {
          signal: opts.signal,
          operation: 'GET /observability/destinations',
          subject: 'observability destination',
        },
      );
    },

    /** One observability destination (404: {@link OpenRouterNotFoundError}). */
    getObservabilityDestination(id: string, opts: CallOptions = {}): Promise<ObservabilityDestination> {
      return transport.one('GET', idPath('/observability/destinations', id), observabilityDestinationSchema, {
        ...opts,
        operation: 'GET /observability/destinations/{id}',
        subject: 'observability destination',
      });
    },

    /** Replaces the key hashes whose traffic a destination forwards (`null` = every key). Sends only that field. */
    setObservabilityKeys(
      id: string,
      keyHashes: string[] | null,
      opts: CallOptions = {},
    ): Promise<ObservabilityDestination> {
      return transport.one(
        'PATCH',
        idPath('/observability/destinations', id),
        observabilityDestinationSchema,
        {
          ...opts,
          operation: 'PATCH /observability/destinations/{id}',
          subject: 'observability destination',
          body: { api_key_hashes: keyHashes },
        },
      );
    },
  };
}

export type ObservabilityApi = ReturnType<typeof observabilityApi>;
