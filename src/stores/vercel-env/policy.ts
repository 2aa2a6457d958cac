import type { DestinationPolicyHooks } from '../destination.js';
import type { VercelEnvDestinationConfig } from './schema.js';

export const vercelEnvPolicyHooks: DestinationPolicyHooks<VercelEnvDestinationConfig> = {
  outboundUrls: (config) => [{ field: 'apiUrl', url: config.apiUrl, allowedBy: 'vercelApiUrls' }],
  credentialRefs: ({ auth }) => [{ field: 'auth.token', ref: auth.token }],
  writtenPaths: () => [],
  targets: (config) => [
    {
      field: 'project',
      what: 'Vercel project',
      target: config.teamId ? `${config.teamId}/${config.project}` : config.project,
      allowedBy: 'vercelProjects',
    },
  ],
};
