/**
 * Guardrails and their key assignments (by key hash). A key holds at most one guardrail directly;
 * OpenRouter has no lookup of one key's guardrail, only listings of assignments (every one of the
 * account, or every one of a guardrail).
 */
import {
  type Guardrail,
  type KeyAssignment,
  assignedCountSchema,
  guardrailSchema,
  keyAssignmentSchema,
  unassignedCountSchema,
} from './attachment-schemas.js';
import { type CallOptions, idPath, type OpenRouterTransport } from './transport.js';

export function guardrailsApi(transport: OpenRouterTransport) {
  return {
    /** One guardrail (404: {@link OpenRouterNotFoundError}). */
    getGuardrail(id: string, opts: CallOptions = {}): Promise<Guardrail> {
      return transport.one('GET', idPath('/guardrails', id), guardrailSchema, {
        ...opts,
        operation: 'GET /guardrails/{id}',
        subject: 'guardrail',
      });
    },

    /** Keys assigned directly to a guardrail: to `guardrailId`, or to any guardrail. */
    listKeyAssignments(opts: { guardrailId?: string } & CallOptions = {}): Promise<KeyAssignment[]> {
      const path =
        opts.guardrailId === undefined
          ? '/guardrails/assignments/keys'
          : `${idPath('/guardrails', opts.guardrailId)}/assignments/keys`;
      return transport.listAll(path, {}, keyAssignmentSchema, {
        signal: opts.signal,
        operation: `GET ${opts.guardrailId === undefined ? '/guardrails' : '/guardrails/{id}'}/assignments/keys`,
        subject: 'guardrail',
      });
    },

    /** Assigns a guardrail to keys; a key holds one guardrail, so this replaces theirs. Idempotent. */
    async assignGuardrail(
      guardrailId: string,
      keyHashes: string[],
      opts: CallOptions = {},
    ): Promise<{ assignedCount: number }> {
      const operation = 'POST /guardrails/{id}/assignments/keys';
      const res = await transport.send('POST', `${idPath('/guardrails', guardrailId)}/assignments/keys`, {
        ...opts,
        operation,
        subject: 'guardrail',
        body: { key_hashes: keyHashes },
      });
      return { assignedCount: transport.parse(assignedCountSchema, res, operation).assigned_count };
    },

    /** Removes keys from a guardrail (keys not assigned to it are left alone). Idempotent. */
    async unassignGuardrail(
      guardrailId: string,
      keyHashes: string[],
      opts: CallOptions = {},
    ): Promise<{ unassignedCount: number }> {
      const operation = 'POST /guardrails/{id}/assignments/keys/remove';
      const res = await transport.send(
        'POST',
        `${idPath('/guardrails', guardrailId)}/assignments/keys/remove`,
        { ...opts, operation, subject: 'guardrail', body: { key_hashes: keyHashes } },
      );
      return { unassignedCount: transport.parse(unassignedCountSchema, res, operation).unassigned_count };
    },
  };
}

export type GuardrailsApi = ReturnType<typeof guardrailsApi>;
