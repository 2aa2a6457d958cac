/**
 * Every destination the worker can write to, one line each: adding a backend is its folder, a
 * line here, a line in destination-schemas.ts (the config schema's list) and its test. The type of
 * `destinations` makes the compiler refuse a schema without an entry here, and the reverse.
 */
import type { DestinationConfig } from './destination-schemas.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { awsSecretsManagerDestination } from './aws-secrets-manager/index.js';
import { awsSsmParameterDestination } from './aws-ssm-parameter/index.js';
import { azureKeyVaultDestination } from './azure-key-vault/index.js';
import type { Destination, LabelContext, OwnCredentialFolder } from './destination.js';
import { fileDestination } from './file/index.js';
import { gcpSecretManagerDestination } from './gcp-secret-manager/index.js';
import { githubActionsSecretDestination } from './github-actions-secret/index.js';
import { infisicalDestination } from './infisical/index.js';
import { kubernetesSecretDestination } from './kubernetes-secret/index.js';
import { vaultDestination } from './vault/index.js';
import { vercelEnvDestination } from './vercel-env/index.js';

type DestinationType = DestinationConfig['type'];

const destinations: { [Type in DestinationType]: Destination<Extract<DestinationConfig, { type: Type }>> } = {
  file: fileDestination,
  'aws-secrets-manager': awsSecretsManagerDestination,
  vault: vaultDestination,
  infisical: infisicalDestination,
  'github-actions-secret': githubActionsSecretDestination,
  'vercel-env': vercelEnvDestination,
  'kubernetes-secret': kubernetesSecretDestination,
  'aws-ssm-parameter': awsSsmParameterDestination,
  'gcp-secret-manager': gcpSecretManagerDestination,
  'azure-key-vault': azureKeyVaultDestination,
};

/** The destination kind named `type`, or undefined when no folder implements it. */
export function findDestination(type: string): Destination<DestinationConfig> | undefined {
  return Object.hasOwn(destinations, type) ? destinations[type as DestinationType] : undefined;
}

/**
 * The destination kind of `config`.
 * @throws ConfigError when its type is unknown (only a config that skipped the schema can have one).
 */
export function destinationOf(config: DestinationConfig): Destination<DestinationConfig> {
  const destination = findDestination(config.type);
  if (destination === undefined) {
    throw new ConfigError(
      `unknown destination type "${String(config.type)}"; expected one of ${Object.keys(destinations).join(', ')}`,
    );
  }
  return destination;
}

/** The secret-free short name of a destination, e.g. `vault:secret/apps/x#FIELD`. */
export function destinationLabel(config: DestinationConfig, context?: LabelContext): string {
  return destinationOf(config).label(config, context);
}

/** Every credential folder that one kind of destination alone may read, with that kind's type. */
export function ownCredentialFolders(): (OwnCredentialFolder & { type: DestinationType })[] {
  return Object.entries(destinations).flatMap(([type, destination]) =>
    (destination.ownCredentialFolders ?? []).map((own) => ({ ...own, type: type as DestinationType })),
  );
}
