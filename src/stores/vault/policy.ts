import type { DestinationPolicyHooks } from '../destination.js';
import { vaultDataPath } from './label.js';
import type { VaultDestinationConfig } from './schema.js';

export const vaultPolicyHooks: DestinationPolicyHooks<VaultDestinationConfig> = {
  outboundUrls: (config) => [{ field: 'address', url: config.address, allowedBy: 'vaultAddresses' }],
  credentialRefs: ({ auth }) =>
    auth.method === 'token'
      ? [{ field: 'auth.token', ref: auth.token }]
      : [
          { field: 'auth.roleId', ref: auth.roleId },
          { field: 'auth.secretId', ref: auth.secretId },
        ],
  writtenPaths: () => [],
  targets: (config) => [
    { field: 'path', what: 'Vault secret', target: vaultDataPath(config), allowedBy: 'vaultSecrets' },
  ],
};
