/** The `vault` destination: a field of a HashiCorp Vault / OpenBao KV v2 secret. */
import type { Destination } from '../destination.js';
import { vaultDestinationLabel } from './label.js';
import { vaultPolicyHooks } from './policy.js';
import type { VaultDestinationConfig } from './schema.js';
import { VaultSecretStore } from './store.js';

export const vaultDestination: Destination<VaultDestinationConfig> = {
  createStore: (config, context) => new VaultSecretStore(config, context),
  label: vaultDestinationLabel,
  ...vaultPolicyHooks,
};

export { vaultDestinationLabel } from './label.js';
export { vaultDestinationSchema, type VaultDestinationConfig } from './schema.js';
export { VaultSecretStore, type VaultStoreDeps } from './store.js';
