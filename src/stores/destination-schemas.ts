/**
 * The config schema of every destination, one line each: src/config/schema.ts builds its
 * `destinations` union from this list. Only schemas here, no stores: this module has no Node
 * built-ins because the workflow imports the config schema. The stores, labels and policy hooks
 * are listed in registry.ts, which the compiler keeps in step with this list.
 */
import { awsSecretsManagerDestinationSchema } from './aws-secrets-manager/schema.js';
import { fileDestinationSchema } from './file/schema.js';
import { infisicalDestinationSchema } from './infisical/schema.js';
import { vaultDestinationSchema } from './vault/schema.js';

export const destinationSchemas = [
  fileDestinationSchema,
  awsSecretsManagerDestinationSchema,
  vaultDestinationSchema,
  infisicalDestinationSchema,
] as const;
