/** The `aws-secrets-manager` destination: a secret in AWS Secrets Manager, rotated through its version stages. */
import type { Destination } from '../destination.js';
import { awsDestinationLabel } from './label.js';
import { awsPolicyHooks } from './policy.js';
import type { AwsDestinationConfig } from './schema.js';
import { AwsSecretsManagerStore } from './store.js';

export const awsSecretsManagerDestination: Destination<AwsDestinationConfig> = {
  createStore: (config) => new AwsSecretsManagerStore(config),
  label: awsDestinationLabel,
  ...awsPolicyHooks,
};

export { awsDestinationLabel } from './label.js';
export { awsSecretsManagerDestinationSchema, type AwsDestinationConfig } from './schema.js';
export {
  AwsSecretsManagerStore,
  clientRequestToken,
  type AwsStoreDeps,
  type SecretsManagerApi,
} from './store.js';
