/**
 * Response shapes of OpenRouter's key-management API. Strict about the fields we use, lenient about
 * the rest: unknown fields are dropped, optional ones become `null` when missing, so a new or
 * retired field at OpenRouter never breaks a rotation. Types are camelCase; dates stay ISO strings
 * (they travel through Temporal payloads, where a `Date` would not survive).
 */
import { z } from 'zod';

const nullableNumber = z
  .number()
  .nullish()
  .transform((v) => v ?? null);
const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const nullableBoolean = z
  .boolean()
  .nullish()
  .transform((v) => v ?? null);

/** Spending counters shared by `KeyRecord` and `CurrentKey` (USD). */
const usageFields = {
  usage: nullableNumber,
  usage_daily: nullableNumber,
  usage_weekly: nullableNumber,
  usage_monthly: nullableNumber,
  byok_usage: nullableNumber,
  byok_usage_daily: nullableNumber,
  byok_usage_weekly: nullableNumber,
  byok_usage_monthly: nullableNumber,
};

type UsageWire = { [K in keyof typeof usageFields]: number | null };

function usageOf(v: UsageWire) {
  return {
    usage: v.usage,
    usageDaily: v.usage_daily,
    usageWeekly: v.usage_weekly,
    usageMonthly: v.usage_monthly,
    byokUsage: v.byok_usage,
    byokUsageDaily: v.byok_usage_daily,
    byokUsageWeekly: v.byok_usage_weekly,
    byokUsageMonthly: v.byok_usage_monthly,
  };
}

/** One API key as `GET /keys`, `GET /keys/{hash}`, `POST /keys` and `PATCH /keys/{hash}` return it. */
export const keyRecordSchema = z
  .object({
    hash: z.string().min(1),
    name: z.string(),
    label: z.string(),
    disabled: z.boolean(),
    limit: nullableNumber,
    limit_remaining: nullableNumber,
    limit_reset: nullableString,
    include_byok_in_limit: nullableBoolean,
    ...usageFields,
    created_at: z.string(),
    updated_at: nullableString,
    expires_at: nullableString,
    creator_user_id: nullableString,
    workspace_id: nullableString,
    /** A partner's end user the key is attributed to. */
    external_user: nullableString,
  })
  .transform((v) => ({
    hash: v.hash,
    name: v.name,
    label: v.label,
    disabled: v.disabled,
    limit: v.limit,
    limitRemaining: v.limit_remaining,
    limitReset: v.limit_reset,
    includeByokInLimit: v.include_byok_in_limit,
    ...usageOf(v),
    createdAt: v.created_at,
    updatedAt: v.updated_at,
    expiresAt: v.expires_at,
    creatorUserId: v.creator_user_id,
    workspaceId: v.workspace_id,
    externalUser: v.external_user,
  }));
export type KeyRecord = z.output<typeof keyRecordSchema>;

/** What `GET /key` says about the key in the bearer. It has no hash, no name and no creation date. */
export const currentKeySchema = z
  .object({
    label: z.string(),
    limit: nullableNumber,
    limit_remaining: nullableNumber,
    limit_reset: nullableString,
    include_byok_in_limit: nullableBoolean,
    ...usageFields,
    is_free_tier: nullableBoolean,
    is_management_key: nullableBoolean,
    /** Deprecated name of `is_management_key`. */
    is_provisioning_key: nullableBoolean,
    creator_user_id: nullableString,
    expires_at: nullableString,
    workspace_id: nullableString,
  })
  .transform((v) => ({
    label: v.label,
    limit: v.limit,
    limitRemaining: v.limit_remaining,
    limitReset: v.limit_reset,
    includeByokInLimit: v.include_byok_in_limit,
    ...usageOf(v),
    isFreeTier: v.is_free_tier,
    isManagementKey: v.is_management_key ?? v.is_provisioning_key ?? false,
    creatorUserId: v.creator_user_id,
    expiresAt: v.expires_at,
    workspaceId: v.workspace_id,
  }));
export type CurrentKey = z.output<typeof currentKeySchema>;

export { isOpenRouterApiKey, OPENROUTER_KEY_PREFIX } from './key-shape.js';

export const keyListResponseSchema = z.object({ data: z.array(keyRecordSchema) });
export const keyResponseSchema = z.object({ data: keyRecordSchema });
export const createdKeyResponseSchema = z.object({ key: z.string().min(1), data: keyRecordSchema });
export const currentKeyResponseSchema = z.object({ data: currentKeySchema });

/** The answer to `POST /keys`: the secret (shown once, never again) and its record. */
export type CreatedKey = z.output<typeof createdKeyResponseSchema>;

/** OpenRouter's error body: `{ error: { code, message, metadata? } }`. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.union([z.number(), z.string()]).optional(),
    message: z.string().optional(),
  }),
});
