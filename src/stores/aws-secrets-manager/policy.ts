import type { DestinationPolicyHooks } from '../destination.js';
import type { AwsDestinationConfig } from './schema.js';

/** Credentials come from the AWS provider chain (not the config), so only an endpoint override is checked. */
export const awsPolicyHooks: DestinationPolicyHooks<AwsDestinationConfig> = {
  // No endpoint: the SDK's own AWS endpoints, always allowed.
  outboundUrls: (config) =>
    config.endpoint === undefined
      ? []
      : [{ field: 'endpoint', url: config.endpoint, allowedBy: 'awsEndpoints' }],
  credentialRefs: () => [],
  writtenPaths: () => [],
};
