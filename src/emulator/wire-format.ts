/**
 * The JSON the emulator answers with, field for field what OpenRouter (and its SDK's validation)
 * expects: `KeyRecord`, `CurrentKey`, the error body, and the state snapshot of the control API.
 */
import { type EmulatedKey, type KeyStore } from './key-store.js';

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function usageJson(store: KeyStore, record: EmulatedKey) {
  return {
    usage: store.usageOf(record, null),
    usage_daily: store.usageOf(record, 'daily'),
    usage_weekly: store.usageOf(record, 'weekly'),
    usage_monthly: store.usageOf(record, 'monthly'),
    // BYOK traffic is not emulated.
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
  };
}

export function keyRecordJson(store: KeyStore, record: EmulatedKey) {
  return {
    hash: record.hash,
    name: record.name,
    label: record.label,
    disabled: record.disabled,
    limit: record.limit,
    limit_remaining: store.limitRemaining(record),
    limit_reset: record.limitReset,
    include_byok_in_limit: record.includeByokInLimit,
    ...usageJson(store, record),
    created_at: record.createdAt.toISOString(),
    updated_at: iso(record.updatedAt),
    expires_at: iso(record.expiresAt),
    creator_user_id: record.creatorUserId,
    workspace_id: record.workspaceId,
    external_user: record.externalUser ?? null,
  };
}

const RATE_LIMIT = { requests: -1, interval: '10s', note: 'This field is deprecated and safe to ignore.' };
const FREE_MODEL_DAILY_REQUESTS = { limit: 1000, remaining: 1000, used: 0 };

export function currentKeyJson(store: KeyStore, record: EmulatedKey) {
  return {
    label: record.label,
    limit: record.limit,
    limit_remaining: store.limitRemaining(record),
    limit_reset: record.limitReset,
    include_byok_in_limit: record.includeByokInLimit,
    ...usageJson(store, record),
    is_free_tier: false,
    is_management_key: false,
    is_provisioning_key: false,
    rate_limit: RATE_LIMIT,
    free_model_daily_requests: FREE_MODEL_DAILY_REQUESTS,
    allowed_data_regions: ['global'],
    creator_user_id: record.creatorUserId,
    organization_id: null,
    workspace_id: record.workspaceId,
    expires_at: iso(record.expiresAt),
  };
}

/** `GET /key` with the management key: it reports itself as one and has no limit or usage. */
export function managementKeyJson(label: string, workspaceId: string) {
  return {
    label,
    limit: null,
    limit_remaining: null,
    limit_reset: null,
    include_byok_in_limit: false,
    usage: 0,
    usage_daily: 0,
    usage_weekly: 0,
    usage_monthly: 0,
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    is_free_tier: false,
    is_management_key: true,
    is_provisioning_key: true,
    rate_limit: RATE_LIMIT,
    free_model_daily_requests: FREE_MODEL_DAILY_REQUESTS,
    allowed_data_regions: ['global'],
    creator_user_id: null,
    organization_id: null,
    workspace_id: workspaceId,
    expires_at: null,
  };
}

export function errorJson(status: number, message: string) {
  return { error: { code: status, message } };
}

/** One key as the control API shows it: everything but the secret. */
export interface EmulatedKeySnapshot {
  hash: string;
  name: string;
  label: string;
  disabled: boolean;
  deleted: boolean;
  deleted_at: string | null;
  limit: number | null;
  limit_reset: string | null;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  /** Completions served with this key. */
  request_count: number;
  created_at: string;
  updated_at: string | null;
  expires_at: string | null;
  workspace_id: string;
}

export function keySnapshot(store: KeyStore, record: EmulatedKey): EmulatedKeySnapshot {
  return {
    hash: record.hash,
    name: record.name,
    label: record.label,
    disabled: record.disabled,
    deleted: record.deletedAt !== null,
    deleted_at: iso(record.deletedAt),
    limit: record.limit,
    limit_reset: record.limitReset,
    usage: store.usageOf(record, null),
    usage_daily: store.usageOf(record, 'daily'),
    usage_weekly: store.usageOf(record, 'weekly'),
    usage_monthly: store.usageOf(record, 'monthly'),
    request_count: record.requestCount,
    created_at: record.createdAt.toISOString(),
    updated_at: iso(record.updatedAt),
    expires_at: iso(record.expiresAt),
    workspace_id: record.workspaceId,
  };
}
