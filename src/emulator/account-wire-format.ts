/**
 * The JSON of workspaces, guardrails, key assignments, BYOK credentials and observability
 * destinations, field for field as `@openrouter/sdk` 1.3.19 validates them (snake_case, nullable
 * fields present as null). Fields the emulator does not model carry OpenRouter's neutral value.
 */
import { createHash } from 'node:crypto';
import type {
  EmulatedByokKey,
  EmulatedGuardrail,
  EmulatedKeyAssignment,
  EmulatedObservabilityDestination,
  EmulatedWorkspace,
} from './account-store.js';
import type { KeyStore } from './key-store.js';

/** OpenRouter derives a workspace's default guardrail id from the workspace id. */
export function defaultGuardrailIdOf(workspaceId: string): string {
  const hex = createHash('sha256').update(`default-guardrail:${workspaceId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function workspaceJson(workspace: EmulatedWorkspace) {
  return {
    id: workspace.id,
    name: workspace.name,
    slug: workspace.slug,
    description: null,
    created_at: workspace.createdAt.toISOString(),
    created_by: null,
    updated_at: null,
    default_guardrail_id: defaultGuardrailIdOf(workspace.id),
    default_image_model: null,
    default_provider_sort: null,
    default_text_model: null,
    io_logging_api_key_ids: workspace.ioLoggingApiKeyIds,
    io_logging_sampling_rate: 1,
    is_data_discount_logging_enabled: false,
    is_observability_broadcast_enabled: false,
    is_observability_io_logging_enabled: false,
  };
}

export function guardrailJson(guardrail: EmulatedGuardrail) {
  return {
    id: guardrail.id,
    name: guardrail.name,
    description: null,
    workspace_id: guardrail.workspaceId,
    created_at: guardrail.createdAt.toISOString(),
    updated_at: null,
    allowed_models: guardrail.allowedModels,
    allowed_providers: null,
    ignored_models: null,
    ignored_providers: null,
    limit_usd: guardrail.limitUsd,
    reset_interval: null,
    include_byok_in_budgets: false,
  };
}

export function keyAssignmentJson(keys: KeyStore, assignment: EmulatedKeyAssignment) {
  const key = keys.find(assignment.keyHash);
  return {
    id: assignment.id,
    guardrail_id: assignment.guardrailId,
    key_hash: assignment.keyHash,
    key_name: key?.name ?? '',
    key_label: key?.label ?? '',
    assigned_by: null,
    created_at: assignment.createdAt.toISOString(),
  };
}

export function byokKeyJson(entry: EmulatedByokKey) {
  return {
    id: entry.id,
    provider: entry.provider,
    label: entry.label,
    name: entry.name,
    workspace_id: entry.workspaceId,
    created_at: entry.createdAt.toISOString(),
    allowed_api_key_hashes: entry.allowedApiKeyHashes,
    allowed_models: null,
    allowed_user_ids: null,
    declared_zdr: null,
    disabled: entry.disabled,
    is_byok_only: false,
    is_fallback: false,
    is_required: false,
    sort_order: 0,
  };
}

export function observabilityDestinationJson(destination: EmulatedObservabilityDestination) {
  return {
    id: destination.id,
    type: 'webhook',
    name: destination.name,
    workspace_id: destination.workspaceId,
    config: { url: destination.url, method: 'POST' },
    api_key_hashes: destination.apiKeyHashes,
    enabled: destination.enabled,
    filter_rules: null,
    privacy_mode: false,
    regions: ['global'],
    sampling_rate: 1,
    broadcast_generation_cost: false,
    broadcast_generation_identity: false,
    broadcast_generation_request_context: false,
    created_at: destination.createdAt.toISOString(),
    updated_at: destination.updatedAt.toISOString(),
  };
}
