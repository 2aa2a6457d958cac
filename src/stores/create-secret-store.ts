/**
 * Builds the SecretStore for a destination from its config: the one place that knows every
 * backend. Credentials are resolved lazily (at the first request), so building a store never
 * fails on a missing variable and a rotated token file is picked up.
 */
import type { DestinationConfig } from '../config/schema.js';
import type { SecretRefDeps } from '../config/secret-ref.js';
import { AwsSecretsManagerStore, describeAwsDestination } from './aws-secrets-manager-store.js';
import { describeFileDestination, FileSecretStore } from './file-store.js';
import { describeInfisicalDestination, InfisicalSecretStore } from './infisical-store.js';
import type { SecretStore } from './secret-store.js';
import { describeVaultDestination, VaultSecretStore } from './vault-store.js';

export interface CreateSecretStoreDeps {
  /** Environment that credential references (`{env: NAME}`) are read from. @default process.env */
  env?: Record<string, string | undefined>;
  /** Folder that relative paths (file destinations, `{file: PATH}` references) resolve from. @default process.cwd() */
  cwd?: string;
  /** Refuses credential references the worker policy does not allow. @default allows all */
  refuseSecretRef?: SecretRefDeps['refuse'];
}

export function createSecretStore(config: DestinationConfig, deps: CreateSecretStoreDeps = {}): SecretStore {
  const refDeps: SecretRefDeps = {
    env: deps.env ?? process.env,
    cwd: deps.cwd ?? process.cwd(),
    refuse: deps.refuseSecretRef,
  };
  switch (config.type) {
    case 'file':
      return new FileSecretStore(config, { cwd: refDeps.cwd });
    case 'aws-secrets-manager':
      return new AwsSecretsManagerStore(config);
    case 'vault':
      return new VaultSecretStore(config, refDeps);
    case 'infisical':
      return new InfisicalSecretStore(config, refDeps);
  }
}

/**
 * A short, secret-free name for a destination, e.g. `file:/abs/path#OPENROUTER_API_KEY`,
 * `aws-secrets-manager:my-secret`, `vault:secret/apps/x#FIELD`, `infisical:proj/prod/#NAME`.
 */
export function describeDestination(
  config: DestinationConfig,
  deps: Pick<CreateSecretStoreDeps, 'cwd'> = {},
): string {
  switch (config.type) {
    case 'file':
      return describeFileDestination(config, deps.cwd);
    case 'aws-secrets-manager':
      return describeAwsDestination(config);
    case 'vault':
      return describeVaultDestination(config);
    case 'infisical':
      return describeInfisicalDestination(config);
  }
}
