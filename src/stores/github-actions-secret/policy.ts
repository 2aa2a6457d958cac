import type { DestinationPolicyHooks } from '../destination.js';
import type { GithubActionsSecretDestinationConfig } from './schema.js';

export const githubActionsSecretPolicyHooks: DestinationPolicyHooks<GithubActionsSecretDestinationConfig> = {
  outboundUrls: (config) => [{ field: 'apiUrl', url: config.apiUrl, allowedBy: 'githubApiUrls' }],
  credentialRefs: ({ auth }) =>
    'token' in auth
      ? [{ field: 'auth.token', ref: auth.token }]
      : [{ field: 'auth.app.privateKey', ref: auth.app.privateKey }],
  writtenPaths: () => [],
  // GitHub compares owners and repositories without case, and so does the policy.
  targets: (config) =>
    config.organization !== undefined
      ? [
          {
            field: 'organization',
            what: 'GitHub organisation',
            target: config.organization,
            allowedBy: 'githubOrganizations',
            ignoreCase: true,
          },
        ]
      : [
          {
            field: 'repository',
            what: 'GitHub repository',
            target: config.repository ?? '',
            allowedBy: 'githubRepositories',
            ignoreCase: true,
          },
        ],
};
