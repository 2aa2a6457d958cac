/**
 * The OpenRouter API under `/api/v1`: the six key-management endpoints, a minimal
 * `POST /chat/completions` that counts usage on the calling key (free models, `…:free`, cost
 * nothing but still count as requests), and, through account-routes.ts, what else is attached to
 * a key (workspaces, guardrails, BYOK, observability) and the analytics query.
 */
import { z } from 'zod';
import { labelOfKey } from '../errors/redact.js';
import { accountReply } from './account-routes.js';
import {
  type ApiContext,
  type ApiRequest,
  authenticate,
  error,
  invalid,
  isReply,
  parseBody,
  requireManagement,
} from './api-context.js';
import { defaultMessageFor } from './faults.js';
import { type Reply, json } from './http-io.js';
import { DEFAULT_WORKSPACE_ID, type EmulatedKey } from './key-store.js';
import { currentKeyJson, keyRecordJson, managementKeyJson } from './wire-format.js';

export type { ApiContext, ApiRequest } from './api-context.js';

export const API_PREFIX = '/api/v1';
/** OpenRouter's fixed page size for `GET /keys`. */
export const PAGE_SIZE = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** UTC ISO 8601 with seconds, as OpenRouter documents `expires_at` (a fraction is tolerated). */
const ISO_UTC_WITH_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const limitReset = z.enum(['daily', 'weekly', 'monthly']).nullable();

const createBodySchema = z.object({
  name: z.string().trim().min(1),
  limit: z.number().nonnegative().nullable().optional(),
  limit_reset: limitReset.optional(),
  include_byok_in_limit: z.boolean().optional(),
  expires_at: z.string().regex(ISO_UTC_WITH_SECONDS).nullable().optional(),
  workspace_id: z.string().regex(UUID).optional(),
  creator_user_id: z.string().nullable().optional(),
  /** A partner's end user the key is attributed to; its optional `api_key` is not kept. */
  external: z.object({ user: z.string().min(1), api_key: z.string().min(32).optional() }).optional(),
});

const updateBodySchema = z
  .object({
    name: z.string().trim().min(1).optional(),
    disabled: z.boolean().optional(),
    limit: z.number().nonnegative().nullable().optional(),
    limit_reset: limitReset.optional(),
    include_byok_in_limit: z.boolean().optional(),
  })
  .strict();

const listQuerySchema = z.object({
  offset: z.coerce.number().int().nonnegative().default(0),
  include_disabled: z.enum(['true', 'false']).optional(),
  workspace_id: z.string().regex(UUID).optional(),
});

const completionBodySchema = z.object({ model: z.string().optional() }).loose();

function listKeys(ctx: ApiContext, req: ApiRequest): Reply {
  const query = listQuerySchema.safeParse(Object.fromEntries(req.query));
  if (!query.success) return invalid(query.error.issues);
  const { offset, include_disabled, workspace_id } = query.data;
  const keys = ctx.store.listLive({
    workspaceId: workspace_id ?? DEFAULT_WORKSPACE_ID,
    includeDisabled: include_disabled === 'true',
  });
  const page = keys.slice(offset, offset + PAGE_SIZE);
  return json(200, { data: page.map((k) => keyRecordJson(ctx.store, k)) });
}

async function createKey(ctx: ApiContext, req: ApiRequest): Promise<Reply> {
  const body = await parseBody(req, createBodySchema);
  if ('reply' in body) return body.reply;
  const b = body.data;
  const expiresAt = b.expires_at ? new Date(b.expires_at) : null;
  if (expiresAt !== null && expiresAt.getTime() <= ctx.now().getTime()) {
    return error(400, 'Invalid request parameters: expires_at must be in the future');
  }
  const { record, key } = ctx.store.create({
    name: b.name,
    limit: b.limit,
    limitReset: b.limit_reset,
    includeByokInLimit: b.include_byok_in_limit,
    expiresAt,
    workspaceId: b.workspace_id,
    creatorUserId: b.creator_user_id,
    externalUser: b.external?.user,
  });
  if (ctx.faults.takeCreateDrop()) return 'drop';
  if (ctx.faults.takeCreateCommittedError()) return error(500, defaultMessageFor(500));
  // The key exists at OpenRouter; only the secret in the answer has the wrong shape.
  const shown = ctx.faults.takeMalformedCreateKey() ? key.slice(0, -8) : key;
  return json(201, { data: keyRecordJson(ctx.store, record), key: shown });
}

async function updateKey(ctx: ApiContext, req: ApiRequest, record: EmulatedKey): Promise<Reply> {
  const body = await parseBody(req, updateBodySchema, {});
  if ('reply' in body) return body.reply;
  const b = body.data;
  ctx.store.update(record, {
    name: b.name,
    disabled: b.disabled,
    limit: b.limit,
    limitReset: b.limit_reset,
    includeByokInLimit: b.include_byok_in_limit,
  });
  return json(200, { data: keyRecordJson(ctx.store, record) });
}

function currentKey(ctx: ApiContext, req: ApiRequest): Reply {
  const caller = authenticate(ctx, req, true);
  if (isReply(caller)) return caller;
  if (caller.kind === 'management') {
    return json(200, { data: managementKeyJson(labelOfKey(ctx.managementKey), DEFAULT_WORKSPACE_ID) });
  }
  return json(200, { data: currentKeyJson(ctx.store, caller.record) });
}

async function chatCompletion(ctx: ApiContext, req: ApiRequest): Promise<Reply> {
  const caller = authenticate(ctx, req, true);
  if (isReply(caller)) return caller;
  if (caller.kind === 'management') {
    return error(403, 'Management keys cannot be used for completions; use a normal API key.');
  }
  const body = await parseBody(req, completionBodySchema);
  if ('reply' in body) return body.reply;
  const record = caller.record;
  const model = body.data.model ?? 'openrouter/auto';
  // OpenRouter's free variants (`…:free`) cost nothing: the request counts, the USD usage does not.
  const cost = model.endsWith(':free') ? 0 : ctx.costPerRequestUsd;
  const remaining = ctx.store.limitRemaining(record);
  if (cost > 0 && remaining !== null && remaining < cost) return error(403, 'Key limit exceeded');
  ctx.store.recordUsage(record, cost);
  return json(200, {
    id: `gen-emulator-${record.requestCount}`,
    object: 'chat.completion',
    created: Math.floor(ctx.now().getTime() / 1000),
    model,
    provider: 'OpenRouter emulator',
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello from the OpenRouter emulator.' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 8, total_tokens: 9, cost },
  });
}

/** Answers one `/api/v1` request (faults are applied by the caller). */
export async function apiReply(ctx: ApiContext, req: ApiRequest): Promise<Reply> {
  const path = req.path.replace(/\/+$/, '') || '/';
  const { method } = req;

  if (path === '/keys') {
    if (method !== 'GET' && method !== 'POST') return error(405, 'Method not allowed');
    const refused = requireManagement(ctx, req);
    if (refused) return refused;
    return method === 'GET' ? listKeys(ctx, req) : createKey(ctx, req);
  }

  const keyPath = /^\/keys\/([^/]+)$/.exec(path);
  if (keyPath) {
    if (method !== 'GET' && method !== 'PATCH' && method !== 'DELETE')
      return error(405, 'Method not allowed');
    const refused = requireManagement(ctx, req);
    if (refused) return refused;
    const hash = decodeURIComponent(keyPath[1] ?? '');
    const record = ctx.store.findLive(hash);
    if (record === undefined) {
      const lagging = method === 'GET' && ctx.faults.takeVisibleAfterDelete(hash);
      const deleted = lagging ? ctx.store.all().find((k) => k.hash === hash) : undefined;
      if (deleted) return json(200, { data: keyRecordJson(ctx.store, deleted) });
      return error(404, 'Resource not found');
    }
    if (method === 'GET') return json(200, { data: keyRecordJson(ctx.store, record) });
    if (method === 'PATCH') return updateKey(ctx, req, record);
    ctx.store.delete(record);
    ctx.account.keyDeleted(record.hash);
    ctx.faults.keyDeleted(record.hash);
    return json(200, { deleted: true });
  }

  if (path === '/key') {
    return method === 'GET' ? currentKey(ctx, req) : error(405, 'Method not allowed');
  }
  if (path === '/chat/completions') {
    return method === 'POST' ? chatCompletion(ctx, req) : error(405, 'Method not allowed');
  }
  return (await accountReply(ctx, { ...req, path })) ?? error(404, 'Not Found');
}
