/**
 * Response shapes of what OpenRouter attaches to a key besides its record: workspaces, guardrails
 * and their key assignments, BYOK provider credentials and observability destinations (both with
 * allow-lists of key hashes), and the analytics query. As in schemas.ts: strict about the fields
 * we use, unknown fields dropped, camelCase out.
 */
import { z } from 'zod';

const nullableStringArray = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? null);

/** A paged list as OpenRouter answers it: `{data, total_count}`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), total_count: z.number().int().nonnegative() });
}

export const workspaceSchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    default_guardrail_id: z.string().nullish(),
    /** Numeric key ids (not hashes) whose I/O is logged; null = every key. */
    io_logging_api_key_ids: z
      .array(z.number())
      .nullish()
      .transform((v) => v ?? null),
  })
  .transform((v) => ({
    id: v.id,
    name: v.name,
    defaultGuardrailId: v.default_guardrail_id ?? null,
    ioLoggingApiKeyIds: v.io_logging_api_key_ids,
  }));
export type Workspace = z.output<typeof workspaceSchema>;

export const guardrailSchema = z
  .object({ id: z.string().min(1), name: z.string(), workspace_id: z.string().nullish() })
  .transform((v) => ({ id: v.id, name: v.name, workspaceId: v.workspace_id ?? null }));
export type Guardrail = z.output<typeof guardrailSchema>;

/** One key assigned directly to a guardrail. */
export const keyAssignmentSchema = z
  .object({
    guardrail_id: z.string().min(1),
    key_hash: z.string().min(1),
    key_label: z.string().nullish(),
  })
  .transform((v) => ({ guardrailId: v.guardrail_id, keyHash: v.key_hash, keyLabel: v.key_label ?? null }));
export type KeyAssignment = z.output<typeof keyAssignmentSchema>;

export const assignedCountSchema = z.object({ assigned_count: z.number().int() });
export const unassignedCountSchema = z.object({ unassigned_count: z.number().int() });

/** A BYOK provider credential; `allowedApiKeyHashes` null = any key of the account may use it. */
export const byokKeySchema = z
  .object({
    id: z.string().min(1),
    provider: z.string(),
    label: z.string().nullish(),
    name: z.string().nullish(),
    workspace_id: z.string().nullish(),
    allowed_api_key_hashes: nullableStringArray,
  })
  .transform((v) => ({
    id: v.id,
    provider: v.provider,
    label: v.label ?? null,
    name: v.name ?? null,
    workspaceId: v.workspace_id ?? null,
    allowedApiKeyHashes: v.allowed_api_key_hashes,
  }));
export type ByokKey = z.output<typeof byokKeySchema>;

/** An observability destination; `apiKeyHashes` null = the traffic of every key is forwarded. */
export const observabilityDestinationSchema = z
  .object({
    id: z.string().min(1),
    type: z.string(),
    name: z.string().nullish(),
    workspace_id: z.string().nullish(),
    api_key_hashes: nullableStringArray,
    filter_rules: z.unknown().optional(),
  })
  .transform((v) => ({
    id: v.id,
    type: v.type,
    name: v.name ?? null,
    workspaceId: v.workspace_id ?? null,
    apiKeyHashes: v.api_key_hashes,
    /** Whether a filter rule matches on the key's name (a new key has another name). */
    filtersOnKeyName: JSON.stringify(v.filter_rules ?? null).includes('"api_key_name"'),
  }));
export type ObservabilityDestination = z.output<typeof observabilityDestinationSchema>;

/** A count as analytics rows carry it: a number, or a numeric string. */
const count = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

/**
 * `POST /analytics/query` answers `{data: {data: rows, metadata, warnings?}}`. The SDK's row model
 * is an empty object (it validates no row field), so the row shape is ours to check: every row
 * must carry the metric we asked for.
 */
export const requestCountResponseSchema = z.object({
  data: z.object({
    data: z.array(z.looseObject({ request_count: count })),
    metadata: z.object({ truncated: z.boolean() }).loose(),
    warnings: z.array(z.string()).optional(),
  }),
});
