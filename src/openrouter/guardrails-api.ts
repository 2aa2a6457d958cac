/**
 * Guardrails and their key assignments (by key hash). A key holds at most one guardrail directly;
 * OpenRouter has no lookup of one key's guardrail, only listings of assignments (every one of the
 * account, or every one of a guardrail), paged by `offset`/`limit` (at most 100) with `total_count`.
 */
import {
  type Guardrail,
  type KeyAssignment,
  assignedCountSchema,
  guardrailSchema,
  keyAssignmentSchema,
  unassignedCountSchema,
} from './attachment-schemas.js';
import {
  type CallOptions,
  idPath,
  LIST_PAGE_SIZE,
  MAX_PAGES,
  type OpenRouterTransport,
} from './transport.js';

/**
 * How many items each page of a settled listing repeats from the page before. Paging by offset
 * skips items when earlier ones are removed between two pages (a rotation elsewhere deleting its
 * old key removes its assignment); a repeated item proves the pages joined up.
 */
export const ASSIGNMENT_PAGE_OVERLAP = 10;

/** A listing, and whether its pages provably joined up (nothing was skipped while it was read). */
export interface SettledListing<T> {
  items: T[];
  /** False when two pages shared no item: something may have been skipped. */
  settled: boolean;
}

const assignmentId = (a: KeyAssignment) => `${a.guardrailId}:${a.keyHash}`;

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

    /**
     * Every key assignment of the account, page after page, each page overlapping the one before
     * by {@link ASSIGNMENT_PAGE_OVERLAP} items, so a listing read while the account changes says
     * whether it may have skipped one (`settled: false`). Items seen twice are kept once.
     */
    async listKeyAssignmentsSettled(opts: CallOptions = {}): Promise<SettledListing<KeyAssignment>> {
      const seen = new Map<string, KeyAssignment>();
      let settled = true;
      let tail: string[] = [];
      let offset = 0;
      for (let n = 0; n < MAX_PAGES; n++) {
        const { items, totalCount } = await transport.page(
          '/guardrails/assignments/keys',
          {},
          keyAssignmentSchema,
          { offset, limit: LIST_PAGE_SIZE },
          { signal: opts.signal, operation: 'GET /guardrails/assignments/keys', subject: 'guardrail' },
        );
        const ids = items.map(assignmentId);
        if (tail.length > 0 && !tail.some((id) => ids.includes(id))) settled = false;
        for (const [i, item] of items.entries()) seen.set(ids[i]!, item);
        if (items.length < LIST_PAGE_SIZE || offset + items.length >= totalCount) {
          return { items: [...seen.values()], settled };
        }
        tail = ids.slice(-ASSIGNMENT_PAGE_OVERLAP);
        offset += LIST_PAGE_SIZE - ASSIGNMENT_PAGE_OVERLAP;
      }
      return { items: [...seen.values()], settled: false };
    },

    /**
     * Whether `keyHash` is assigned to `guardrailId`, read at the two ends of the guardrail's
     * assignments (a key assigned a moment ago is at one end, whichever order OpenRouter lists
     * them in): one page, or two when the guardrail has more than a page of keys. False when it is
     * at neither end.
     */
    async isAssignedRecently(guardrailId: string, keyHash: string, opts: CallOptions = {}): Promise<boolean> {
      const path = `${idPath('/guardrails', guardrailId)}/assignments/keys`;
      const read = (offset: number) =>
        transport.page(
          path,
          {},
          keyAssignmentSchema,
          { offset, limit: LIST_PAGE_SIZE },
          {
            signal: opts.signal,
            operation: 'GET /guardrails/{id}/assignments/keys',
            subject: 'guardrail',
          },
        );
      const first = await read(0);
      if (first.items.some((a) => a.keyHash === keyHash)) return true;
      if (first.totalCount <= LIST_PAGE_SIZE) return false;
      const last = await read(first.totalCount - LIST_PAGE_SIZE);
      return last.items.some((a) => a.keyHash === keyHash);
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
