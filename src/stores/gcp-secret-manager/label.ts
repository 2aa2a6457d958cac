import { gcpSecretName, type GcpSecretManagerDestinationConfig } from './schema.js';

/** `gcp-secret-manager:projects/<project>/secrets/<secret>` */
export function gcpSecretManagerDestinationLabel(config: GcpSecretManagerDestinationConfig): string {
  return `gcp-secret-manager:${gcpSecretName(config)}`;
}
