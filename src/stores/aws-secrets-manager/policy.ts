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
  // As written: a name resolves in the worker's account and the configured region; an ARN prefix pins both.
  targets: (config) => [
    { field: 'secretId', what: 'AWS secret', target: config.secretId, allowedBy: 'awsSecretIds' },
  ],
};
