/** The `gcp-secret-manager` destination: a secret in Google Cloud Secret Manager. */
import type { Destination } from '../destination.js';
import { gcpSecretManagerDestinationLabel } from './label.js';
import { gcpSecretManagerPolicyHooks } from './policy.js';
import type { GcpSecretManagerDestinationConfig } from './schema.js';
import { GcpSecretManagerStore } from './store.js';

export const gcpSecretManagerDestination: Destination<GcpSecretManagerDestinationConfig> = {
  createStore: (config, context) => new GcpSecretManagerStore(config, context),
  label: gcpSecretManagerDestinationLabel,
  ...gcpSecretManagerPolicyHooks,
};

export { gcpSecretManagerDestinationLabel } from './label.js';
export {
  gcpSecretManagerDestinationSchema,
  gcpSecretName,
  type GcpSecretManagerDestinationConfig,
} from './schema.js';
export { GcpSecretManagerStore, type SecretManagerApi } from './store.js';
