import type { DestinationPolicyHooks } from '../destination.js';
import type { AwsSsmParameterDestinationConfig } from './schema.js';

/** Credentials come from the AWS provider chain (not the config): the endpoint override and the parameter are checked. */
export const awsSsmParameterPolicyHooks: DestinationPolicyHooks<AwsSsmParameterDestinationConfig> = {
  // No endpoint: the SDK's own AWS endpoints, always allowed.
  outboundUrls: (config) =>
    config.endpoint === undefined
      ? []
      : [{ field: 'endpoint', url: config.endpoint, allowedBy: 'awsEndpoints' }],
  credentialRefs: () => [],
  writtenPaths: () => [],
  // As written: the name resolves in the worker's account and the configured region.
  targets: (config) => [
    { field: 'name', what: 'Parameter Store parameter', target: config.name, allowedBy: 'ssmParameters' },
  ],
};
