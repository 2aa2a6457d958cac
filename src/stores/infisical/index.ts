/** The `infisical` destination: a secret in an Infisical project, via a universal-auth machine identity. */
import type { Destination } from '../destination.js';
import { infisicalDestinationLabel } from './label.js';
import { infisicalPolicyHooks } from './policy.js';
import type { InfisicalDestinationConfig } from './schema.js';
import { InfisicalSecretStore } from './store.js';

export const infisicalDestination: Destination<InfisicalDestinationConfig> = {
  createStore: (config, context) => new InfisicalSecretStore(config, context),
  label: infisicalDestinationLabel,
  ...infisicalPolicyHooks,
};

export { infisicalDestinationLabel } from './label.js';
export { infisicalDestinationSchema, type InfisicalDestinationConfig } from './schema.js';
export { InfisicalSecretStore, type InfisicalStoreDeps } from './store.js';
