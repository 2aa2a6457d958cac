/**
 * What the rest of the worker knows about one kind of destination, exported by each folder's
 * `index.ts` and listed once in registry.ts: how to build its store, its label, and what the
 * worker policy must check before the worker may use it.
 */
import type { SecretRefDeps } from '../fields/secret-ref.js';
import type { SecretRef } from '../fields/field-schemas.js';
import type { SecretStore } from './secret-store.js';

/**
 * The worker policy's lists (under `destinations`) of origins a destination may send credentials
 * to. The policy schema has a list for each name here and no other (src/policy/worker-policy-schema.ts:
 * the compiler refuses one without the other); a new destination with a new endpoint adds its name.
 */
export type DestinationOriginList =
  | 'vaultAddresses'
  | 'infisicalSiteUrls'
  | 'awsEndpoints'
  | 'githubApiUrls'
  | 'vercelApiUrls'
  | 'kubernetesApiServers'
  | 'gcpSecretManagerEndpoints'
  | 'azureVaultUrls'
  | 'azureAuthorityHosts';

/**
 * The worker policy's target lists (under `destinations`): which secrets or workloads inside an
 * allowed store a destination may touch (src/fields/target-patterns.ts). Like the origin lists,
 * the policy schema has a list for each name here and no other.
 */
export type DestinationTargetList =
  | 'kubernetesSecrets'
  | 'kubernetesRestartTargets'
  | 'vaultSecrets'
  | 'awsSecretIds'
  | 'githubRepositories'
  | 'githubOrganizations'
  | 'infisicalSecrets'
  | 'vercelProjects'
  | 'ssmParameters'
  | 'gcpSecrets'
  | 'azureSecrets';

/** A URL the destination sends credentials to. */
export interface OutboundUrl {
  /** The config field that holds it, e.g. `address`. */
  field: string;
  url: string;
  /** The worker policy list (under `destinations`) that must hold its origin, e.g. `vaultAddresses`. */
  allowedBy: DestinationOriginList;
}

/** A credential the destination reads (a variable or a file). */
export interface CredentialRef {
  /** The config field that holds the reference, e.g. `auth.token`. */
  field: string;
  ref: SecretRef;
}

/**
 * Something inside an allowed store that the destination reads, writes or restarts (a Secret, a
 * Vault path, a repository), checked against a worker policy target list (src/fields/target-patterns.ts).
 */
export interface PolicyTarget {
  /** The config field that chooses it, e.g. `path` or `restart[0]`. */
  field: string;
  /** What it is, for the message, e.g. `Vault secret`. */
  what: string;
  /** The target in the written form of its list (`TARGET_LISTS` in worker-policy-schema.ts). */
  target: string;
  /** The worker policy list (under `destinations`) that must allow it. */
  allowedBy: DestinationTargetList;
  /** Compare without case (GitHub). @default false */
  ignoreCase?: boolean;
}

/**
 * A folder of credentials that belong to one kind of destination alone (the pod's service-account
 * token): every other destination, and every notification sink, is refused a `{file}` in it even
 * where `credentials.fileRoots` covers it, so the credential is sent only where it is meant to go.
 */
export interface OwnCredentialFolder {
  /** Absolute; judged on real paths, like the policy's roots. */
  folder: string;
  /** What it holds, for the refusal, e.g. `the pod's service-account token`. */
  what: string;
}

/** A file the destination writes, checked against the worker policy's `destinations.fileRoots`. */
export interface WrittenPath {
  /** The config field that holds it, e.g. `path`. */
  field: string;
  /** As configured; relative paths resolve from the worker's working directory. */
  path: string;
}

/** Where a store reads its credentials from: `SecretRefDeps` with the defaults already applied. */
export interface StoreContext extends SecretRefDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Refuses a file the worker policy does not let a destination write, judged on the real path
   * of the folder as the store opened it (so a folder swapped after the check is caught). @default allows all
   */
  refuseWrittenPath?: (realFile: string) => string | undefined;
}

export interface LabelContext {
  /**
   * Folder the worker resolves relative paths from. Without it a relative path is shown as
   * written (the CLI does not know the worker's working directory).
   */
  cwd?: string;
}

/**
 * One kind of destination. Methods (not function-valued properties) on purpose: the registry
 * holds every kind under one type and calls each only with a config of its own `type`.
 */
export interface Destination<Config> {
  /** Builds the store; credentials are resolved at its first request, never here. */
  createStore(config: Config, context: StoreContext): SecretStore;
  /**
   * The secret-free short name used in activity messages, errors and the CLI, e.g.
   * `vault:team-a/secret/apps/checkout#OPENROUTER_API_KEY`.
   */
  label(config: Config, context?: LabelContext): string;
  /** Every URL the destination sends credentials to (empty when it only uses fixed endpoints). */
  outboundUrls(config: Config): OutboundUrl[];
  /** Every credential reference in the config. */
  credentialRefs(config: Config): CredentialRef[];
  /** Every file the destination writes. */
  writtenPaths(config: Config): WrittenPath[];
  /** Every secret or workload inside its store that it touches (empty for a file). */
  targets(config: Config): PolicyTarget[];
  /** Credential folders only this kind of destination may read from. @default none */
  readonly ownCredentialFolders?: readonly OwnCredentialFolder[];
}

/** The worker policy hooks of a destination (its `policy.ts`). */
export type DestinationPolicyHooks<Config> = Pick<
  Destination<Config>,
  'outboundUrls' | 'credentialRefs' | 'writtenPaths' | 'targets' | 'ownCredentialFolders'
>;
