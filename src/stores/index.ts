export type { SecretStore, StoredSecret, WriteOptions, WriteResult } from './secret-store.js';
export { createSecretStore, describeDestination, type CreateSecretStoreDeps } from './create-secret-store.js';
export { FileSecretStore, fileVersion, type FileStoreDeps } from './file-store.js';
export {
  AwsSecretsManagerStore,
  clientRequestToken,
  type AwsStoreDeps,
  type SecretsManagerApi,
} from './aws-secrets-manager-store.js';
export { VaultSecretStore, type VaultStoreDeps } from './vault-store.js';
export { InfisicalSecretStore, type InfisicalStoreDeps } from './infisical-store.js';
export type { FetchLike } from './http-json.js';
