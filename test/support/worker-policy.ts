/**
 * Worker policies for tests: each allows exactly what a test uses (its emulator, its variables, its
 * temp folders) and nothing else, not even the default policy's openrouter.ai or Infisical cloud.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { workerPolicyFromRules } from '../../src/policy/load-worker-policy.js';
import type {
  DestinationTargetList,
  WorkerPolicy,
  workerPolicySchema,
} from '../../src/policy/worker-policy-schema.js';

/**
 * What a test's worker may do; every endpoint, folder or variable list left out allows nothing.
 * Target lists (which secrets in an allowed store) left out allow any target, as in a version 1
 * policy file; `version: 2` makes them allow nothing too.
 */
export interface PolicyAllowances {
  version?: 1 | 2;
  baseUrls?: string[];
  managementKeyEnvs?: string[];
  credentialEnvs?: string[];
  credentialFileRoots?: string[];
  fileRoots?: string[];
  vaultAddresses?: string[];
  infisicalSiteUrls?: string[];
  awsEndpoints?: string[];
  githubApiUrls?: string[];
  vercelApiUrls?: string[];
  kubernetesApiServers?: string[];
  gcpSecretManagerEndpoints?: string[];
  azureVaultUrls?: string[];
  azureAuthorityHosts?: string[];
  webhookOrigins?: string[];
  kubernetesSecrets?: string[];
  kubernetesRestartTargets?: string[];
  vaultSecrets?: string[];
  awsSecretIds?: string[];
  githubRepositories?: string[];
  githubOrganizations?: string[];
  infisicalSecrets?: string[];
  vercelProjects?: string[];
  ssmParameters?: string[];
  gcpSecrets?: string[];
  azureSecrets?: string[];
}

const TARGET_ALLOWANCES = [
  'kubernetesSecrets',
  'kubernetesRestartTargets',
  'vaultSecrets',
  'awsSecretIds',
  'githubRepositories',
  'githubOrganizations',
  'infisicalSecrets',
  'vercelProjects',
  'ssmParameters',
  'gcpSecrets',
  'azureSecrets',
] as const satisfies readonly DestinationTargetList[];

/** The policy file content for `allow`. */
export function policyRules(allow: PolicyAllowances): z.input<typeof workerPolicySchema> {
  return {
    version: allow.version ?? 1,
    openrouter: { baseUrls: allow.baseUrls ?? [], managementKeyEnvs: allow.managementKeyEnvs ?? [] },
    credentials: { envs: allow.credentialEnvs ?? [], fileRoots: allow.credentialFileRoots ?? [] },
    destinations: {
      fileRoots: allow.fileRoots ?? [],
      vaultAddresses: allow.vaultAddresses ?? [],
      infisicalSiteUrls: allow.infisicalSiteUrls ?? [],
      awsEndpoints: allow.awsEndpoints ?? [],
      githubApiUrls: allow.githubApiUrls ?? [],
      vercelApiUrls: allow.vercelApiUrls ?? [],
      kubernetesApiServers: allow.kubernetesApiServers ?? [],
      gcpSecretManagerEndpoints: allow.gcpSecretManagerEndpoints ?? [],
      azureVaultUrls: allow.azureVaultUrls ?? [],
      azureAuthorityHosts: allow.azureAuthorityHosts ?? [],
      ...Object.fromEntries(
        TARGET_ALLOWANCES.filter((list) => allow[list] !== undefined).map((list) => [list, allow[list]]),
      ),
    },
    notifications: { webhookOrigins: allow.webhookOrigins ?? [] },
  };
}

/** A policy allowing exactly `allow`. */
export function policyFor(allow: PolicyAllowances): WorkerPolicy {
  return workerPolicyFromRules(policyRules(allow), 'test worker policy');
}

/** Writes the policy file for `allow` (for a worker started with KEY_ROTATOR_POLICY) and returns its path. */
export function writePolicyFile(file: string, allow: PolicyAllowances): string {
  writeFileSync(file, stringify(policyRules(allow)), { mode: 0o600 });
  return file;
}

/** `a` and `b` together. */
export function mergeAllowances(a: PolicyAllowances, b: PolicyAllowances): PolicyAllowances {
  const merged: PolicyAllowances = { ...a };
  for (const [key, values] of Object.entries(b) as [keyof PolicyAllowances, unknown][]) {
    if (key === 'version') merged.version = b.version;
    else merged[key] = [...new Set([...(a[key] ?? []), ...(values as string[])])];
  }
  return merged;
}
