/**
 * Loads the worker policy from the file its operator names (`key-rotator worker --policy FILE` or
 * KEY_ROTATOR_POLICY), never from Temporal: whoever can start workflows must not be able to
 * widen it. Without a file the worker runs the default policy (see worker-policy-schema.ts).
 */
import type { z } from 'zod';
import { ConfigFileError } from '../config-files/config-file-error.js';
import { toConfigIssues } from '../config-files/config-issues.js';
import { parseYamlFile, readYamlFileText } from '../config-files/yaml-file.js';
import { workerPolicySchema, type WorkerPolicy } from './worker-policy-schema.js';

/** The environment variable that names the policy file. */
export const POLICY_ENV = 'KEY_ROTATOR_POLICY';

/** The policy of a worker started without a policy file. */
export function defaultWorkerPolicy(): WorkerPolicy {
  return { ...workerPolicySchema.parse({}), name: 'the default worker policy', file: undefined };
}

/** Parses and validates policy text (YAML or JSON); `file` names it in errors and in the result. */
export function parseWorkerPolicy(text: string, file: string): WorkerPolicy {
  const { data } = parseYamlFile(
    text,
    file,
    workerPolicySchema,
    'the file is empty; expected `version: 1` and the lists the worker allows',
  );
  return { ...data, name: `the worker policy ${file}`, file };
}

/**
 * A policy written in code (tests, the benchmark, an embedding program), validated like a file.
 * @throws ConfigFileError naming `name`, the field and what was expected.
 */
export function workerPolicyFromRules(
  rules: z.input<typeof workerPolicySchema>,
  name = 'worker policy (in code)',
): WorkerPolicy {
  const result = workerPolicySchema.safeParse(rules);
  if (!result.success)
    throw new ConfigFileError(name, toConfigIssues(result.error, workerPolicySchema, rules));
  return { ...result.data, name: `the ${name}`, file: undefined };
}

/** Reads and validates a policy file. @throws ConfigFileError naming the file, the field and what was expected. */
export async function loadWorkerPolicyFile(file: string): Promise<WorkerPolicy> {
  return parseWorkerPolicy(await readYamlFileText(file, 'the worker policy file'), file);
}

export interface WorkerPolicySource {
  /** The policy file given on the command line (`--policy`); wins over the environment. */
  file?: string;
  /** Where KEY_ROTATOR_POLICY is read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** The file named by `--policy` or KEY_ROTATOR_POLICY, or undefined when neither is set. */
export function workerPolicyFile(source: WorkerPolicySource = {}): string | undefined {
  return source.file || (source.env ?? process.env)[POLICY_ENV] || undefined;
}

/** The policy from `--policy` or KEY_ROTATOR_POLICY, or the default policy when neither is set. */
export async function loadWorkerPolicy(source: WorkerPolicySource = {}): Promise<WorkerPolicy> {
  const file = workerPolicyFile(source);
  return file === undefined ? defaultWorkerPolicy() : loadWorkerPolicyFile(file);
}

/** One line saying which policy a worker runs, for its start-up output. */
export function describeWorkerPolicy(policy: WorkerPolicy): string {
  // Version 1 left target lists open: say which, so an operator sees what is not limited.
  const open =
    policy.openTargetLists.length > 0
      ? `; version 1: any secret in an allowed store (${policy.openTargetLists.map((l) => `destinations.${l}`).join(', ')} not set; version 2 allows only what they list)`
      : '';
  if (policy.file !== undefined) return `worker policy: ${policy.file}${open}`;
  const { openrouter, destinations, notifications } = policy;
  return (
    `default policy: OpenRouter ${openrouter.baseUrls.join(', ')} with ${openrouter.managementKeyEnvs.join(', ')}; ` +
    `Infisical ${destinations.infisicalSiteUrls.join(', ')}; GitHub ${destinations.githubApiUrls.join(', ')}; ` +
    `Vercel ${destinations.vercelApiUrls.join(', ')}; AWS default endpoints, any secret id; ` +
    `notification webhooks to ${notifications.webhookOrigins.join(', ')}; ` +
    `no credential variables or files, no Vault, no Kubernetes, no file destinations (set ${POLICY_ENV} or --policy to allow more)`
  );
}
