export type { SecretStore, StoredSecret, WriteOptions, WriteResult } from './secret-store.js';
export type {
  CredentialRef,
  Destination,
  DestinationOriginList,
  LabelContext,
  OutboundUrl,
  StoreContext,
  WrittenPath,
} from './destination.js';
export { destinationLabel, destinationOf, findDestination } from './registry.js';
export { createSecretStore, type CreateSecretStoreDeps } from './create-secret-store.js';
export { FileSecretStore, fileVersion, type FileStoreDeps } from './file/index.js';
export {
  AwsSecretsManagerStore,
  clientRequestToken,
  type AwsStoreDeps,
  type SecretsManagerApi,
} from './aws-secrets-manager/index.js';
export { VaultSecretStore, type VaultStoreDeps } from './vault/index.js';
export { InfisicalSecretStore, type InfisicalStoreDeps } from './infisical/index.js';
export type { FetchLike } from './http-json.js';
