/**
 * The management API around keys, under `/api/v1`: workspaces, guardrails and their key
 * assignments, BYOK provider credentials and observability destinations (both with allow-lists
 * of key hashes), and the analytics query. All of it needs the management key.
 */
import { z } from 'zod';
import type { HashListOwner } from './account-store.js';
import {
  byokKeyJson,
  guardrailJson,
  keyAssignmentJson,
  observabilityDestinationJson,
  workspaceJson,
} from './account-wire-format.js';
import { analyticsMetaJson, analyticsQuerySchema, answerAnalyticsQuery } from './analytics.js';
import {
  type ApiContext,
  type ApiRequest,
  error,
  invalid,
  page,
  pageQuerySchema,
  parseBody,
  requireManagement,
} from './api-context.js';
import { type Reply, json } from './http-io.js';
import { DEFAULT_WORKSPACE_ID } from './key-store.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_HASH = /^[0-9a-f]{64}$/;

const keyHashesBodySchema = z.object({ key_hashes: z.array(z.string().regex(KEY_HASH)).min(1) });

/** `null` lifts the restriction; a list must name at least one key (OpenRouter refuses `[]`). */
const hashAllowList = z.array(z.string().regex(KEY_HASH)).min(1).nullable();

const byokUpdateSchema = z
  .object({
    allowed_api_key_hashes: hashAllowList.optional(),
    disabled: z.boolean().optional(),
  })
  .loose();

const observabilityUpdateSchema = z
  .object({
    api_key_hashes: hashAllowList.optional(),
    enabled: z.boolean().optional(),
  })
  .loose();

const workspaceScopedPageSchema = pageQuerySchema.extend({ workspace_id: z.string().regex(UUID).optional() });

function queryOf<S extends z.ZodType>(req: ApiRequest, schema: S): { data: z.output<S> } | { reply: Reply } {
  const parsed = schema.safeParse(Object.fromEntries(req.query));
  return parsed.success ? { data: parsed.data } : { reply: invalid(parsed.error.issues) };
}

const notFound = () => error(404, 'Resource not found');

/** Hashes that are not keys of this account (deleted keys still count as the account's). */
function foreignHashes(ctx: ApiContext, hashes: readonly string[] | null | undefined): string[] {
  return (hashes ?? []).filter((h) => !ctx.store.find(h));
}

function refuseForeign(ctx: ApiContext, hashes: readonly string[] | null | undefined): Reply | undefined {
  const foreign = foreignHashes(ctx, hashes);
  if (foreign.length === 0) return undefined;
  return error(
    400,
    `Invalid request parameters: ${foreign.length} key hash(es) do not belong to this account`,
  );
}

function workspaces(ctx: ApiContext, req: ApiRequest, id: string | undefined): Reply {
  if (req.method !== 'GET') return error(405, 'Method not allowed');
  if (id !== undefined) {
    const workspace = ctx.account.workspace(id);
    return workspace ? json(200, { data: workspaceJson(workspace) }) : notFound();
  }
  const query = queryOf(req, pageQuerySchema);
  if ('reply' in query) return query.reply;
  return json(200, page(ctx.account.workspaces(), query.data, workspaceJson));
}

async function guardrailAssignments(
  ctx: ApiContext,
  req: ApiRequest,
  guardrailId: string | undefined,
  remove: boolean,
): Promise<Reply> {
  if (guardrailId !== undefined && !ctx.account.guardrail(guardrailId)) return notFound();
  if (req.method === 'GET' && !remove) {
    const query = queryOf(req, pageQuerySchema);
    if ('reply' in query) return query.reply;
    return json(
      200,
      page(ctx.account.assignments(guardrailId), query.data, (a) => keyAssignmentJson(ctx.store, a)),
    );
  }
  if (req.method !== 'POST' || guardrailId === undefined) return error(405, 'Method not allowed');
  const body = await parseBody(req, keyHashesBodySchema);
  if ('reply' in body) return body.reply;
  const hashes = body.data.key_hashes;
  if (remove) return json(200, { unassigned_count: ctx.account.unassign(guardrailId, hashes) });
  const unknown = hashes.filter((h) => !ctx.store.findLive(h));
  if (unknown.length > 0)
    return error(
      400,
      `Invalid request parameters: ${unknown.length} key hash(es) are not live keys of this account`,
    );
  return json(200, { assigned_count: ctx.account.assign(guardrailId, hashes) });
}

function guardrails(ctx: ApiContext, req: ApiRequest, id: string | undefined): Reply {
  if (req.method !== 'GET') return error(405, 'Method not allowed');
  if (id !== undefined) {
    const guardrail = ctx.account.guardrail(id);
    return guardrail ? json(200, { data: guardrailJson(guardrail) }) : notFound();
  }
  const query = queryOf(req, workspaceScopedPageSchema);
  if ('reply' in query) return query.reply;
  return json(200, page(ctx.account.guardrails(query.data.workspace_id), query.data, guardrailJson));
}

/** `GET` one entry, or `PATCH` its allow-list of key hashes (and its on/off switch). */
async function hashListEntry<T extends HashListOwner>(
  ctx: ApiContext,
  req: ApiRequest,
  entry: T | undefined,
  update: z.ZodType<{ hashes?: string[] | null; enabled?: boolean }>,
  apply: (entry: T, change: { hashes?: string[] | null; enabled?: boolean }) => void,
  toJson: (entry: T) => unknown,
): Promise<Reply> {
  if (!entry) return notFound();
  if (req.method === 'GET') return json(200, { data: toJson(entry) });
  if (req.method !== 'PATCH') return error(405, 'Method not allowed');
  const body = await parseBody(req, update, {});
  if ('reply' in body) return body.reply;
  const refused = refuseForeign(ctx, body.data.hashes);
  if (refused) return refused;
  apply(entry, body.data);
  return json(200, { data: toJson(entry) });
}

const byokChange = byokUpdateSchema.transform((b) => ({
  hashes: b.allowed_api_key_hashes,
  enabled: b.disabled === undefined ? undefined : !b.disabled,
}));
const observabilityChange = observabilityUpdateSchema.transform((b) => ({
  hashes: b.api_key_hashes,
  enabled: b.enabled,
}));

async function byok(ctx: ApiContext, req: ApiRequest, id: string | undefined): Promise<Reply> {
  if (id !== undefined) {
    return hashListEntry(
      ctx,
      req,
      ctx.account.byokKey(id),
      byokChange,
      (entry, change) => {
        if (change.hashes !== undefined) entry.allowedApiKeyHashes = change.hashes;
        if (change.enabled !== undefined) entry.disabled = !change.enabled;
      },
      byokKeyJson,
    );
  }
  if (req.method !== 'GET') return error(405, 'Method not allowed');
  const query = queryOf(req, workspaceScopedPageSchema.extend({ provider: z.string().optional() }));
  if ('reply' in query) return query.reply;
  const entries = ctx.account
    .byokKeys(query.data.workspace_id ?? DEFAULT_WORKSPACE_ID)
    .filter((b) => query.data.provider === undefined || b.provider === query.data.provider);
  return json(200, page(entries, query.data, byokKeyJson));
}

async function observability(ctx: ApiContext, req: ApiRequest, id: string | undefined): Promise<Reply> {
  if (id !== undefined) {
    return hashListEntry(
      ctx,
      req,
      ctx.account.observabilityDestination(id),
      observabilityChange,
      (entry, change) => {
        if (change.hashes !== undefined) entry.apiKeyHashes = change.hashes;
        if (change.enabled !== undefined) entry.enabled = change.enabled;
        entry.updatedAt = ctx.now();
      },
      observabilityDestinationJson,
    );
  }
  if (req.method !== 'GET') return error(405, 'Method not allowed');
  const query = queryOf(req, workspaceScopedPageSchema);
  if ('reply' in query) return query.reply;
  const entries = ctx.account.observabilityDestinations(query.data.workspace_id ?? DEFAULT_WORKSPACE_ID);
  return json(200, page(entries, query.data, observabilityDestinationJson));
}

async function analyticsQuery(ctx: ApiContext, req: ApiRequest): Promise<Reply> {
  if (req.method !== 'POST') return error(405, 'Method not allowed');
  const body = await parseBody(req, analyticsQuerySchema);
  if ('reply' in body) return body.reply;
  const answer = answerAnalyticsQuery(ctx.store, body.data, ctx.now());
  return 'refused' in answer
    ? error(400, `Invalid request parameters: ${answer.refused}`)
    : json(200, answer.body);
}

/** Answers the account routes; undefined for a path that is not one of them. */
export async function accountReply(ctx: ApiContext, req: ApiRequest): Promise<Reply | undefined> {
  const { path } = req;
  const segment = (pattern: RegExp) => {
    const match = pattern.exec(path);
    return match ? { id: match[1] === undefined ? undefined : decodeURIComponent(match[1]) } : undefined;
  };
  const routes: [RegExp, (id: string | undefined) => Reply | Promise<Reply>][] = [
    [/^\/workspaces(?:\/([^/]+))?$/, (id) => workspaces(ctx, req, id)],
    [/^\/guardrails\/assignments\/keys$/, () => guardrailAssignments(ctx, req, undefined, false)],
    [/^\/guardrails\/([^/]+)\/assignments\/keys$/, (id) => guardrailAssignments(ctx, req, id, false)],
    [/^\/guardrails\/([^/]+)\/assignments\/keys\/remove$/, (id) => guardrailAssignments(ctx, req, id, true)],
    [/^\/guardrails(?:\/([^/]+))?$/, (id) => guardrails(ctx, req, id)],
    [/^\/byok(?:\/([^/]+))?$/, (id) => byok(ctx, req, id)],
    [/^\/observability\/destinations(?:\/([^/]+))?$/, (id) => observability(ctx, req, id)],
    [/^\/analytics\/query$/, () => analyticsQuery(ctx, req)],
    [
      /^\/analytics\/meta$/,
      () => (req.method === 'GET' ? json(200, analyticsMetaJson()) : error(405, 'Method not allowed')),
    ],
  ];
  for (const [pattern, handle] of routes) {
    const match = segment(pattern);
    if (!match) continue;
    const refused = requireManagement(ctx, req);
    if (refused) return refused;
    return handle(match.id);
  }
  return undefined;
}
