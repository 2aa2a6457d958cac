import type { CredentialRef, DestinationPolicyHooks, OutboundUrl } from '../destination.js';
import { azureVaultName, type AzureKeyVaultDestinationConfig } from './schema.js';

/** The vault and its secret are the target; the vault URL, an authority host and the credential are checked too. */
export const azureKeyVaultPolicyHooks: DestinationPolicyHooks<AzureKeyVaultDestinationConfig> = {
  outboundUrls: (config) => {
    const urls: OutboundUrl[] = [{ field: 'vaultUrl', url: config.vaultUrl, allowedBy: 'azureVaultUrls' }];
    // No authority host: Microsoft's public cloud, always allowed.
    if (config.authorityHost !== undefined)
      urls.push({ field: 'authorityHost', url: config.authorityHost, allowedBy: 'azureAuthorityHosts' });
    return urls;
  },
  credentialRefs: (config): CredentialRef[] => {
    const c = config.credentials;
    if (c.method === 'client-secret') return [{ field: 'credentials.clientSecret', ref: c.clientSecret }];
    if (c.method === 'client-certificate') return [{ field: 'credentials.certificate', ref: c.certificate }];
    return [];
  },
  writtenPaths: () => [],
  targets: (config) => [
    {
      field: 'secret',
      what: 'Key Vault secret',
      target: `${azureVaultName(config)}/${config.secret}`,
      allowedBy: 'azureSecrets',
    },
  ],
};
