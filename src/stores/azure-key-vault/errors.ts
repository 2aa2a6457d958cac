/**
 * How a Key Vault (or Entra ID) error becomes a destination error: a refused permission fails fast
 * naming the RBAC data action the call needs, no or bad credentials fail fast, throttling, server
 * errors and a lost connection retry. Key Vault answers with HTTP status codes and a JSON
 * `{error: {code, message}}` body, which the SDK turns into a RestError.
 */
import {
  DestinationAuthError,
  DestinationConflictError,
  DestinationError,
  RotatorError,
} from '../../errors/rotator-errors.js';

/**
 * The Azure RBAC data action each call needs (the role Key Vault Secrets Officer has them all),
 * and the access-policy permission of a vault that still uses access policies.
 */
export const PERMISSION_OF = {
  getSecret: { dataAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action', accessPolicy: 'get' },
  setSecret: { dataAction: 'Microsoft.KeyVault/vaults/secrets/setSecret/action', accessPolicy: 'set' },
  listVersions: { dataAction: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action', accessPolicy: 'list' },
  updateSecret: { dataAction: 'Microsoft.KeyVault/vaults/secrets/update/action', accessPolicy: 'set' },
} as const;

export type KeyVaultCall = keyof typeof PERMISSION_OF;

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** The HTTP status of a RestError (or an identity AuthenticationError), or undefined. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('statusCode' in err)) return undefined;
  return typeof err.statusCode === 'number' ? err.statusCode : undefined;
}

/** Key Vault's 403 for reading a disabled version (`SecretDisabled`), which is not a missing permission. */
export function isDisabledSecret(err: unknown): boolean {
  return statusOf(err) === 403 && /disabled secret/i.test(messageOf(err));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The first line of the message, less Azure's propagation advice; never more than that (no token is in it). */
function detailOf(err: unknown): string {
  const message = messageOf(err);
  const action = /Action: '([^']+)'/.exec(message)?.[1];
  const first = message.split(/\r?\n/)[0]!.trim();
  return action ? `${first} Action: '${action}'` : first;
}

/** `@azure/identity`'s errors: it found no credential, or Entra ID refused the one it has. */
function isCredentialError(err: unknown): boolean {
  const name = err instanceof Error ? err.name : '';
  return (
    name === 'CredentialUnavailableError' ||
    name === 'AuthenticationError' ||
    name === 'AggregateAuthenticationError' ||
    name === 'AuthenticationRequiredError'
  );
}

export function azureDestinationError(
  err: unknown,
  description: string,
  call: KeyVaultCall,
  action: string,
  secretId: string,
): RotatorError {
  // Ours already (a credential reference the config or the policy refuses): as it is.
  if (err instanceof RotatorError) return err;
  const options = { cause: err };
  const detail = detailOf(err);
  if (isCredentialError(err)) {
    return new DestinationAuthError(
      description,
      `Microsoft Entra ID gave the worker no token to ${action} (${detail}); check the destination's credentials ` +
        '(tenantId, clientId and the secret or certificate they reference), or for method: default the ' +
        "environment DefaultAzureCredential reads (AZURE_*, the workload's managed identity)",
      options,
    );
  }
  const status = statusOf(err);
  if (status === 403) {
    const { dataAction, accessPolicy } = PERMISSION_OF[call];
    return new DestinationAuthError(
      description,
      `Key Vault refused to ${action} (403: ${detail}); grant the worker's identity ${dataAction} on ${secretId} ` +
        `(the role Key Vault Secrets Officer has it; a vault on access policies needs the secret permission "${accessPolicy}"). ` +
        'docs/operations.md lists what a rotation needs',
      options,
    );
  }
  if (status === 401) {
    return new DestinationAuthError(
      description,
      `Key Vault did not accept the worker's token to ${action} (401: ${detail}); check that the credentials belong to the vault's tenant`,
      options,
    );
  }
  if (status === 409) {
    return new DestinationConflictError(
      description,
      `Key Vault refused to ${action} (409: ${detail}); a deleted secret of that name must be recovered or purged first. ` +
        'Check it, then rotate again.',
      options,
    );
  }
  if (status === undefined || RETRYABLE_STATUS.has(status)) {
    // No answer at all (a reset connection, a name that does not resolve), throttling or a server error: retry.
    return new DestinationError(
      description,
      `could not ${action}, will retry (${status ?? 'no answer'}: ${detail})`,
      { retryable: true, cause: err },
    );
  }
  return new DestinationError(
    description,
    `Key Vault rejected the request to ${action} (${status}: ${detail})`,
    options,
  );
}
