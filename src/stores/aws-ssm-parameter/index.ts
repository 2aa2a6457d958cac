/** The `aws-ssm-parameter` destination: a SecureString parameter in AWS Systems Manager Parameter Store. */
import type { Destination } from '../destination.js';
import { awsSsmParameterDestinationLabel } from './label.js';
import { awsSsmParameterPolicyHooks } from './policy.js';
import type { AwsSsmParameterDestinationConfig } from './schema.js';
import { AwsSsmParameterStore } from './store.js';

export const awsSsmParameterDestination: Destination<AwsSsmParameterDestinationConfig> = {
  createStore: (config) => new AwsSsmParameterStore(config),
  label: awsSsmParameterDestinationLabel,
  ...awsSsmParameterPolicyHooks,
};

export { awsSsmParameterDestinationLabel } from './label.js';
export {
  awsSsmParameterDestinationSchema,
  DEFAULT_SSM_KMS_KEY,
  DEFAULT_SSM_LABEL,
  type AwsSsmParameterDestinationConfig,
} from './schema.js';
export { AwsSsmParameterStore, type ParameterStoreApi, type SsmStoreDeps } from './store.js';
