/**
 * The config schema of every destination, one line each, and their union: a rotation's
 * `destinations` (src/config/schema.ts) are a list of these. Only schemas here, no stores: this
 * module has no Node built-ins because the workflow imports the config schema. The stores, labels
 * and policy hooks are listed in registry.ts, which the compiler keeps in step with this list.
 */
import { z } from 'zod';
import { awsSecretsManagerDestinationSchema } from './aws-secrets-manager/schema.js';
import { awsSsmParameterDestinationSchema } from './aws-ssm-parameter/schema.js';
import { azureKeyVaultDestinationSchema } from './azure-key-vault/schema.js';
import { fileDestinationSchema } from './file/schema.js';
import { gcpSecretManagerDestinationSchema } from './gcp-secret-manager/schema.js';
import {
  githubActionsSecretDestinationSchema,
  githubActionsSecretIsWriteOnly,
} from './github-actions-secret/schema.js';
import { infisicalDestinationSchema } from './infisical/schema.js';
import { kubernetesSecretDestinationSchema } from './kubernetes-secret/schema.js';
import { vaultDestinationSchema } from './vault/schema.js';
import { vercelEnvDestinationSchema, vercelEnvIsWriteOnly } from './vercel-env/schema.js';

export const destinationSchemas = [
  fileDestinationSchema,
  awsSecretsManagerDestinationSchema,
  vaultDestinationSchema,
  infisicalDestinationSchema,
  githubActionsSecretDestinationSchema,
  vercelEnvDestinationSchema,
  kubernetesSecretDestinationSchema,
  awsSsmParameterDestinationSchema,
  gcpSecretManagerDestinationSchema,
  azureKeyVaultDestinationSchema,
] as const;

/** One destination: its `type` picks the schema. */
export const destinationSchema = z.discriminatedUnion('type', destinationSchemas);
export type DestinationConfig = z.infer<typeof destinationSchema>;

/**
 * Whether a destination cannot hand its value back (README.md, "Write-only destinations"): a
 * rotation needs at least one that can. The stores of these answer `readWriteOnlyState`.
 */
export function isWriteOnlyDestination(config: DestinationConfig): boolean {
  if (config.type === 'github-actions-secret') return githubActionsSecretIsWriteOnly(config);
  if (config.type === 'vercel-env') return vercelEnvIsWriteOnly(config);
  return false;
}
