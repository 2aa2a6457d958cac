/** Workspaces: where keys live, and a workspace's settings that name keys (I/O logging). */
import { type Workspace, workspaceSchema } from './attachment-schemas.js';
import { type CallOptions, idPath, type OpenRouterTransport } from './transport.js';

export function workspacesApi(transport: OpenRouterTransport) {
  return {
    /** One workspace (404: {@link OpenRouterNotFoundError}). */
    getWorkspace(id: string, opts: CallOptions = {}): Promise<Workspace> {
      return transport.one('GET', idPath('/workspaces', id), workspaceSchema, {
        ...opts,
        operation: 'GET /workspaces/{id}',
        subject: 'workspace',
      });
    },

    /** Every workspace of the account. */
    listWorkspaces(opts: CallOptions = {}): Promise<Workspace[]> {
      return transport.listAll('/workspaces', {}, workspaceSchema, {
        ...opts,
        operation: 'GET /workspaces',
        subject: 'workspace',
      });
    },
  };
}

export type WorkspacesApi = ReturnType<typeof workspacesApi>;
