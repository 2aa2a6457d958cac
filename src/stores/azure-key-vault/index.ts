/** The `azure-key-vault` destination: a secret in Azure Key Vault. */
import type { Destination } from '../destination.js';
import { azureKeyVaultDestinationLabel } from './label.js';
import { azureKeyVaultPolicyHooks } from './policy.js';
import type { AzureKeyVaultDestinationConfig } from './schema.js';
import { AzureKeyVaultStore } from './store.js';

export const azureKeyVaultDestination: Destination<AzureKeyVaultDestinationConfig> = {
  createStore: (config, context) => new AzureKeyVaultStore(config, context),
  label: azureKeyVaultDestinationLabel,
  ...azureKeyVaultPolicyHooks,
};

export { azureKeyVaultDestinationLabel } from './label.js';
export {
  azureKeyVaultDestinationSchema,
  azureVaultName,
  type AzureKeyVaultDestinationConfig,
} from './schema.js';
export { AzureKeyVaultStore, type KeyVaultApi } from './store.js';
