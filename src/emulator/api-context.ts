/**
 * What every `/api/v1` route shares: the emulator's state, the request, who is calling, and
 * OpenRouter-shaped error replies.
 */
import { z } from 'zod';
import type { AccountStore } from './account-store.js';
import type { FaultInjector } from './faults.js';
import { type Reply, json, parseJsonBody } from './http-io.js';
import type { EmulatedKey, KeyStore } from './key-store.js';
import { errorJson } from './wire-format.js';

export interface ApiContext {
  managementKey: string;
  store: KeyStore;
  /** Workspaces, guardrails, BYOK credentials, observability destinations. */
  account: AccountStore;
  faults: FaultInjector;
  costPerRequestUsd: number;
  now: () => Date;
}

export interface ApiRequest {
  method: string;
  /** Path below `/api/v1`, e.g. `/keys/abc`. */
  path: string;
  query: URLSearchParams;
  bearer: string | undefined;
  /** The body, read lazily (only routes that take one read it). */
  body: () => Promise<string>;
}

export function error(status: number, message: string, headers?: Record<string, string>): Reply {
  return json(status, errorJson(status, message), headers);
}

export function invalid(issues: z.core.$ZodIssue[]): Reply {
  const detail = issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
  return error(400, `Invalid request parameters: ${detail}`);
}

export type Caller = { kind: 'management' } | { kind: 'key'; record: EmulatedKey };

/**
 * Who is calling. Management keys pass everywhere auth-wise (routes decide what they may do);
 * normal keys must exist and be usable; with `strictFreshness`, a too-new key answers 401 too.
 */
export function authenticate(ctx: ApiContext, req: ApiRequest, strictFreshness: boolean): Caller | Reply {
  if (req.bearer === undefined || req.bearer === '') return error(401, 'Missing Authentication header');
  if (req.bearer === ctx.managementKey) return { kind: 'management' };
  const record = ctx.store.findBySecret(req.bearer);
  if (record === undefined) return error(401, 'User not found.');
  const refusal = ctx.store.refusalOf(record);
  if (refusal === 'deleted') return error(401, 'User not found.');
  if (refusal === 'disabled') return error(401, 'API key is disabled.');
  if (refusal === 'expired') return error(401, 'API key has expired.');
  if (strictFreshness && ctx.faults.isTooFresh(record.createdAt, ctx.now())) {
    return error(401, 'User not found.');
  }
  return { kind: 'key', record };
}

export function isReply(value: Caller | Reply): value is Reply {
  return value === 'drop' || 'status' in value;
}

/** The management API (`/keys*`, `/guardrails*`, …) needs a management key. */
export function requireManagement(ctx: ApiContext, req: ApiRequest): Reply | undefined {
  const caller = authenticate(ctx, req, false);
  if (isReply(caller)) return caller;
  if (caller.kind !== 'management') return error(403, 'Only management keys can perform this operation');
  return undefined;
}

/** Reads and validates a JSON body; an empty body validates as `emptyAs`. */
export async function parseBody<S extends z.ZodType>(
  req: ApiRequest,
  schema: S,
  emptyAs?: unknown,
): Promise<{ data: z.output<S> } | { reply: Reply }> {
  const raw = parseJsonBody(await req.body());
  if (raw instanceof Error)
    return { reply: error(400, 'Invalid request parameters: the body is not valid JSON') };
  const parsed = schema.safeParse(raw ?? emptyAs);
  return parsed.success ? { data: parsed.data } : { reply: invalid(parsed.error.issues) };
}

/** `offset` and `limit` of the paged management lists (OpenRouter: at most 100 per page). */
export const pageQuerySchema = z.object({
  offset: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** One page of `items` as OpenRouter's paged lists answer: `{data, total_count}`. */
export function page<T>(
  items: readonly T[],
  query: { offset: number; limit: number },
  toJson: (item: T) => unknown,
) {
  return {
    data: items.slice(query.offset, query.offset + query.limit).map(toJson),
    total_count: items.length,
  };
}
