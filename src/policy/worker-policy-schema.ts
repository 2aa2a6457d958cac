/**
 * The worker policy: what the worker's operator allows rotations to do with the worker's
 * credentials. Rotation configs and workflow input only choose among what it allows.
 *
 * Every list is an allow-list; an empty list allows nothing. A field left out takes its default,
 * which is also the policy of a worker started without a policy file.
 *
 * Two kinds of lists under `destinations`: where credentials may go (endpoints, folders), and
 * which secrets there a rotation may touch (targets, see src/fields/target-patterns.ts). A target list left
 * out allows nothing in a `version: 2` policy; in a `version: 1` policy (and the default policy)
 * it allows any target, as before target lists existed, and the worker's start-up line says so.
 */
import { z } from 'zod';
import { rule } from '../fields/field-schemas.js';
import type { DestinationOriginList, DestinationTargetList } from '../stores/destination.js';
import { DEFAULT_GITHUB_API_URL } from '../stores/github-actions-secret/schema.js';
import { DEFAULT_VERCEL_API_URL } from '../stores/vercel-env/schema.js';
import { envPatternMatches, envPatternProblem, workerOwnVariableProblem } from '../fields/env-name-rules.js';
import { hasNulByte, pathProblem } from '../fields/path-rules.js';
import { ANY_TARGET, targetPatternProblem } from '../fields/target-patterns.js';
import { normaliseBaseUrl, originOf, serviceUrlProblem } from '../fields/url-rules.js';

export const DEFAULT_OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';
export const DEFAULT_MANAGEMENT_KEY_ENV = 'OPENROUTER_MANAGEMENT_KEY';
export const DEFAULT_INFISICAL_SITE_URL = 'https://app.infisical.com';
/** Slack's incoming webhooks: a Slack sink still needs its URL from a credential the policy allows. */
export const DEFAULT_NOTIFICATION_ORIGINS = ['https://hooks.slack.com'];

/** The policy holds only http(s) URLs that pass the same rules as the config, in compared form. */
const baseUrl = z.string().superRefine(rule(serviceUrlProblem)).transform(normaliseBaseUrl);

/** Where requests go: scheme, host and port, nothing else. */
const origin = z
  .string()
  .superRefine(
    rule((url) => {
      const problem = serviceUrlProblem(url);
      if (problem !== undefined) return problem;
      return new URL(url).pathname.replace(/\/+$/, '') === ''
        ? undefined
        : `expected an origin such as https://vault.example.com:8200 (no path), got ${originOf(url)} with a path`;
    }),
  )
  .transform(originOf);

const absolutePath = z.string().superRefine(
  rule((path) => {
    if (hasNulByte(path)) return 'must not contain a NUL byte';
    if (!path.startsWith('/')) return 'expected an absolute path (starting with /)';
    return path === '/' ? undefined : pathProblem(path);
  }),
);

const managementKeyEnv = z
  .string()
  .superRefine(
    rule((name) =>
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
        ? workerOwnVariableProblem(name)
        : 'expected the name of an environment variable (letters, digits, _)',
    ),
  );

const credentialEnv = z.string().superRefine(rule(envPatternProblem));

/** A target list: left out, it takes its default from the policy's version (see {@link TARGET_LISTS}). */
const targetList = z.array(z.string().superRefine(rule(targetPatternProblem))).optional();

/**
 * The target lists under `destinations`, each with the form its entries are written in: the
 * destination's `policy.ts` names its targets in the same form.
 */
export const TARGET_LISTS = {
  kubernetesSecrets: 'namespace/name of a Secret, e.g. apps/openrouter or apps/*',
  kubernetesRestartTargets: 'namespace/Kind/name of a workload, e.g. apps/Deployment/checkout or apps/*',
  vaultSecrets:
    'the KV v2 data path as in a Vault ACL policy, [namespace/]mount/data/path, e.g. secret/data/apps/*',
  awsSecretIds:
    'a secret name or ARN as the config writes it, e.g. prod/openrouter/* or arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*',
  githubRepositories: 'owner/repo, e.g. acme/checkout or acme/* (case-insensitive)',
  githubOrganizations: 'an organisation, e.g. acme (case-insensitive)',
  infisicalSecrets:
    'projectId/environment/secretPath, e.g. 6f1c.../prod/apps/* (the root path is projectId/environment/)',
  vercelProjects: 'a project of a personal account, or teamId/project, e.g. team_abc/checkout',
  ssmParameters:
    'a Parameter Store name as the config writes it, e.g. /apps/checkout/* or /apps/checkout/OPENROUTER_API_KEY',
  gcpSecrets: 'project/secret of a Secret Manager secret, e.g. acme-prod/openrouter-api-key or acme-prod/*',
  azureSecrets:
    "vault/secret of a Key Vault secret (the vault name, its URL's first label), e.g. acme-prod/openrouter-api-key or acme-prod/*",
} as const satisfies Record<DestinationTargetList, string>;

export type { DestinationTargetList };

export const workerPolicySchema = z
  .object({
    /**
     * Schema version of this file: in version 2 a target list left out allows nothing, in version 1
     * any target (as before target lists existed). @default 1
     */
    version: z.union([z.literal(1), z.literal(2)]).default(1),
    openrouter: z
      .object({
        /**
         * OpenRouter API base URLs a rotation's `openrouter.baseUrl` may name; compared exactly,
         * after normalisation (case of scheme and host, default port, trailing slash).
         * @default ["https://openrouter.ai/api/v1"]
         */
        baseUrls: z.array(baseUrl).default([DEFAULT_OPENROUTER_BASE_URL]),
        /**
         * Variables a rotation's `openrouter.managementKeyEnv` may name (the worker also reads
         * `<NAME>_FILE`). Never one of the worker's own (KEY_ROTATOR_*, TEMPORAL_*, *_FILE).
         * @default ["OPENROUTER_MANAGEMENT_KEY"]
         */
        managementKeyEnvs: z.array(managementKeyEnv).default([DEFAULT_MANAGEMENT_KEY_ENV]),
      })
      .strict()
      .prefault({}),
    credentials: z
      .object({
        /**
         * Variables a destination's `{env: NAME}` credential may name: exact names, or `PREFIX*`.
         * Never one of the worker's own (KEY_ROTATOR_*, TEMPORAL_*, *_FILE). @default []
         */
        envs: z.array(credentialEnv).default([]),
        /**
         * Folders a destination's `{file: PATH}` credential may read from (absolute; the file's
         * real path, symbolic links resolved, must be inside one). @default []
         */
        fileRoots: z.array(absolutePath).default([]),
      })
      .strict()
      .prefault({}),
    destinations: z
      .object({
        /**
         * Folders `file` destinations may write to (absolute; the real path of the file's folder,
         * symbolic links resolved, must be inside one). @default []
         */
        fileRoots: z.array(absolutePath).default([]),
        /** Origins (`https://host:port`) a `vault` destination's `address` may name. @default [] */
        vaultAddresses: z.array(origin).default([]),
        /** Origins an `infisical` destination's `siteUrl` may name. @default ["https://app.infisical.com"] */
        infisicalSiteUrls: z.array(origin).default([DEFAULT_INFISICAL_SITE_URL]),
        /**
         * Origins an `aws-secrets-manager` or `aws-ssm-parameter` destination's `endpoint` override may name. Without an
         * override the SDK's own AWS endpoints are used, which are always allowed. @default []
         */
        awsEndpoints: z.array(origin).default([]),
        /**
         * Origins a `github-actions-secret` destination's `apiUrl` may name: GitHub's public API by
         * default (a GitHub token is only good there), GitHub Enterprise Servers when listed.
         * @default ["https://api.github.com"]
         */
        githubApiUrls: z.array(origin).default([DEFAULT_GITHUB_API_URL]),
        /** Origins a `vercel-env` destination's `apiUrl` may name. @default ["https://api.vercel.com"] */
        vercelApiUrls: z.array(origin).default([DEFAULT_VERCEL_API_URL]),
        /**
         * Origins a `kubernetes-secret` destination's `auth.server` may name; list
         * `https://kubernetes.default.svc` to allow `auth.method: in-cluster` (the API server of the
         * cluster the worker's pod runs in). @default []
         */
        kubernetesApiServers: z.array(origin).default([]),
        /** Secrets a `kubernetes-secret` destination may write: `namespace/name`. @default version 1: any; version 2: none */
        kubernetesSecrets: targetList,
        /** Workloads a `kubernetes-secret` destination may restart: `namespace/Kind/name`. @default version 1: any; version 2: none */
        kubernetesRestartTargets: targetList,
        /** Secrets a `vault` destination may write: `[namespace/]mount/data/path`. @default version 1: any; version 2: none */
        vaultSecrets: targetList,
        /** Secrets an `aws-secrets-manager` destination may write: its `secretId`. @default version 1: any; version 2: none */
        awsSecretIds: targetList,
        /** Repositories a `github-actions-secret` destination may write to: `owner/repo`. @default version 1: any; version 2: none */
        githubRepositories: targetList,
        /** Organisations a `github-actions-secret` destination may write to. @default version 1: any; version 2: none */
        githubOrganizations: targetList,
        /** Folders an `infisical` destination may write to: `projectId/environment/secretPath`. @default version 1: any; version 2: none */
        infisicalSecrets: targetList,
        /** Projects a `vercel-env` destination may write to: `project` or `teamId/project`. @default version 1: any; version 2: none */
        vercelProjects: targetList,
        /** Parameters an `aws-ssm-parameter` destination may write: its `name`. @default version 1: any; version 2: none */
        ssmParameters: targetList,
        /**
         * Origins a `gcp-secret-manager` destination's `endpoint` override may name. Without an
         * override Google's own endpoint is used, which is always allowed. @default []
         */
        gcpSecretManagerEndpoints: z.array(origin).default([]),
        /** Secrets a `gcp-secret-manager` destination may write: `project/secret`. @default version 1: any; version 2: none */
        gcpSecrets: targetList,
        /** Origins (`https://<vault>.vault.azure.net`) an `azure-key-vault` destination's `vaultUrl` may name. @default [] */
        azureVaultUrls: z.array(origin).default([]),
        /**
         * Origins an `azure-key-vault` destination's `authorityHost` may name (national clouds,
         * Azure Stack). Without one, Microsoft's public cloud is used, which is always allowed. @default []
         */
        azureAuthorityHosts: z.array(origin).default([]),
        /** Secrets an `azure-key-vault` destination may write: `vault/secret`. @default version 1: any; version 2: none */
        azureSecrets: targetList,
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        /**
         * Origins a `webhook` sink's `url`, and the URL a `slack` sink's `webhookUrl` reference
         * holds, may name. @default ["https://hooks.slack.com"]
         */
        webhookOrigins: z.array(origin).default(DEFAULT_NOTIFICATION_ORIGINS),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((policy, ctx) => {
    // Runs on partly invalid input too (zod reports every issue at once): read defensively.
    const names: unknown = policy.openrouter?.managementKeyEnvs;
    const patterns: unknown = policy.credentials?.envs;
    if (!Array.isArray(names) || !Array.isArray(patterns)) return;
    // The management key may only ever go to OpenRouter: no destination may read it as a credential.
    names.forEach((name: unknown, i) => {
      if (typeof name !== 'string') return;
      const clash = patterns.find(
        (pattern: unknown) => typeof pattern === 'string' && envPatternMatches(pattern, name),
      );
      if (clash !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['openrouter', 'managementKeyEnvs', i],
          message: `${name} is also allowed as a destination credential by credentials.envs entry ${clash}: the management key may only go to OpenRouter`,
        });
      }
    });
  })
  .transform((policy) => {
    const open = (Object.keys(TARGET_LISTS) as DestinationTargetList[]).filter(
      (list) => policy.destinations[list] === undefined,
    );
    const fill = policy.version === 1 ? [ANY_TARGET] : [];
    const destinations = { ...policy.destinations };
    for (const list of open) destinations[list] = [...fill];
    return {
      ...policy,
      destinations: destinations as typeof policy.destinations & Record<DestinationTargetList, string[]>,
      /** The target lists a version 1 policy left out, which therefore allow any target. */
      openTargetLists: policy.version === 1 ? open : [],
    };
  });

/** The rules a worker enforces, with every default filled in and every URL in compared form. */
export type WorkerPolicyRules = z.output<typeof workerPolicySchema>;

type OriginLists = Exclude<keyof WorkerPolicyRules['destinations'], 'fileRoots' | DestinationTargetList>;
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type MustHold<T extends true> = T;
/**
 * Fails to compile unless `destinations` holds exactly the origin lists the destinations' policy
 * hooks name (DestinationOriginList in src/stores/destination.ts): add a new list in both places.
 */
export type OriginListsMatchDestinations = MustHold<SameNames<OriginLists, DestinationOriginList>>;
/** Likewise for the target lists (DestinationTargetList in src/stores/destination.ts). */
export type TargetListsMatchDestinations = MustHold<
  SameNames<keyof typeof TARGET_LISTS, DestinationTargetList>
>;

export interface WorkerPolicy extends WorkerPolicyRules {
  /** How messages name the policy, e.g. "the worker policy /etc/key-rotator/policy.yaml". */
  name: string;
  /** The file the policy was read from; undefined for the default policy and policies built in code. */
  file: string | undefined;
}
