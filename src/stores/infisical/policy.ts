import type { DestinationPolicyHooks } from '../destination.js';
import type { InfisicalDestinationConfig } from './schema.js';

export const infisicalPolicyHooks: DestinationPolicyHooks<InfisicalDestinationConfig> = {
  outboundUrls: (config) => [{ field: 'siteUrl', url: config.siteUrl, allowedBy: 'infisicalSiteUrls' }],
  credentialRefs: ({ auth }) => [
    { field: 'auth.clientId', ref: auth.clientId },
    { field: 'auth.clientSecret', ref: auth.clientSecret },
  ],
  writtenPaths: () => [],
  targets: (config) => [
    {
      field: 'secretPath',
      what: 'Infisical folder',
      target: `${config.projectId}/${config.environment}${config.secretPath.replace(/(?<=.)\/+$/, '')}`,
      allowedBy: 'infisicalSecrets',
    },
  ],
};
