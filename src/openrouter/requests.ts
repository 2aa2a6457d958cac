/**
 * Request bodies of the key-management API: camelCase in TypeScript, sent in OpenRouter's snake_case.
 * Only fields the caller set are sent, so OpenRouter's own defaults apply to the rest.
 */
import { OpenRouterBadRequestError } from './errors.js';

/** How often a key's spending limit resets (midnight UTC; weeks run Monday to Sunday). */
export type LimitReset = 'daily' | 'weekly' | 'monthly';

export interface CreateKeyRequest {
  /** Name shown at OpenRouter; required and non-empty. */
  name: string;
  /** Spending limit in USD; `null` for none. @default OpenRouter's default (no limit) */
  limit?: number | null;
  /** When the limit resets; `null` for never. @default null */
  limitReset?: LimitReset | null;
  /** Whether BYOK usage counts against the limit. @default OpenRouter's default */
  includeByokInLimit?: boolean;
  /** When OpenRouter disables the key by itself; cannot be changed later. Sent as `YYYY-MM-DDTHH:MM:SSZ`. */
  expiresAt?: Date | string;
  /** Workspace to create the key in. @default the default workspace */
  workspaceId?: string;
  /** Organisation member the key is created for. */
  creatorUserId?: string;
  /** A partner's end user the key is attributed to (sent as `external.user`). */
  externalUser?: string;
}

/** OpenRouter wants UTC ISO 8601 with seconds and no fraction, e.g. `2030-01-01T00:00:00Z`. */
export function formatExpiresAt(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new OpenRouterBadRequestError(
      `expiresAt "${String(value)}" is not a valid date: give an ISO 8601 timestamp such as 2030-01-01T00:00:00Z.`,
    );
  }
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function withoutUndefined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

export function createKeyBody(req: CreateKeyRequest): Record<string, unknown> {
  if (req.name.trim() === '') {
    throw new OpenRouterBadRequestError('A key name is required to create an OpenRouter key.');
  }
  return withoutUndefined({
    name: req.name,
    limit: req.limit,
    limit_reset: req.limitReset,
    include_byok_in_limit: req.includeByokInLimit,
    expires_at: req.expiresAt === undefined ? undefined : formatExpiresAt(req.expiresAt),
    workspace_id: req.workspaceId,
    creator_user_id: req.creatorUserId,
    external: req.externalUser === undefined ? undefined : { user: req.externalUser },
  });
}
