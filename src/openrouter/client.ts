/**
 * A small typed `fetch` client for OpenRouter's management API, one file per area of the API
 * (keys, workspaces, guardrails, BYOK, observability, analytics) over one transport
 * (transport.ts: bearer, timeout, rate limit, no redirects, typed failures, no retries).
 */
import { type AnalyticsApi, analyticsApi } from './analytics-api.js';
import { accountOf } from './attachment-index.js';
import { type ByokApi, byokApi } from './byok-api.js';
import { type GuardrailsApi, guardrailsApi } from './guardrails-api.js';
import { type KeysApi, keysApi } from './keys-api.js';
import { type ObservabilityApi, observabilityApi } from './observability-api.js';
import { type OpenRouterClientOptions, OpenRouterTransport } from './transport.js';
import { type WorkspacesApi, workspacesApi } from './workspaces-api.js';

export type { CreatedKey, CurrentKey, KeyRecord } from './schemas.js';
export type {
  ByokKey,
  Guardrail,
  KeyAssignment,
  ObservabilityDestination,
  Workspace,
} from './attachment-schemas.js';
export type { RequestCount } from './analytics-api.js';
export { KEYS_PAGE_SIZE } from './keys-api.js';
export type { CreateKeyRequest, LimitReset } from './requests.js';
export type { CallOptions, OpenRouterClientOptions } from './transport.js';

/** Every call of the management API a rotation uses, for one base URL and management key. */
export type OpenRouterClient = {
  /** Which account it speaks for: base URL and a digest of the management key (never the key). */
  readonly account: string;
} & KeysApi &
  WorkspacesApi &
  GuardrailsApi &
  ByokApi &
  ObservabilityApi &
  AnalyticsApi;

export function createOpenRouterClient(options: OpenRouterClientOptions): OpenRouterClient {
  const transport = new OpenRouterTransport(options);
  return {
    account: accountOf(transport.baseUrl, options.managementKey),
    ...keysApi(transport),
    ...workspacesApi(transport),
    ...guardrailsApi(transport),
    ...byokApi(transport),
    ...observabilityApi(transport),
    ...analyticsApi(transport),
  };
}
