import { azureVaultName, type AzureKeyVaultDestinationConfig } from './schema.js';

/** `azure-key-vault:<vault>/<secret>` */
export function azureKeyVaultDestinationLabel(config: AzureKeyVaultDestinationConfig): string {
  return `azure-key-vault:${azureVaultName(config)}/${config.secret}`;
}
