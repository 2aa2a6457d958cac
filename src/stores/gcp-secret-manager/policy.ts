import type { DestinationPolicyHooks } from '../destination.js';
import type { GcpSecretManagerDestinationConfig } from './schema.js';

/** The project and secret are the target; the endpoint override and the credentials reference are checked too. */
export const gcpSecretManagerPolicyHooks: DestinationPolicyHooks<GcpSecretManagerDestinationConfig> = {
  // No endpoint: Google's own (secretmanager.googleapis.com), always allowed.
  outboundUrls: (config) =>
    config.endpoint === undefined
      ? []
      : [{ field: 'endpoint', url: config.endpoint, allowedBy: 'gcpSecretManagerEndpoints' }],
  credentialRefs: (config) =>
    config.credentials === undefined ? [] : [{ field: 'credentials', ref: config.credentials }],
  writtenPaths: () => [],
  targets: (config) => [
    {
      field: 'secret',
      what: 'Secret Manager secret',
      target: `${config.project}/${config.secret}`,
      allowedBy: 'gcpSecrets',
    },
  ],
};
