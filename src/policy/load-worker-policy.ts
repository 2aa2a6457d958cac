/**
 * Loads the worker policy from the file its operator names (`key-rotator worker --policy FILE` or
 * KEY_ROTATOR_POLICY), never from Temporal: whoever can start workflows must not be able to
 * widen it. Without a file the worker runs the default policy (see worker-policy-schema.ts).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigFileError } from '../config/config-file-error.js';
import { toConfigIssues } from '../config/config-issues.js';
import { errnoCode } from '../errno.js';
import { workerPolicySchema, type WorkerPolicy } from './worker-policy-schema.js';

/** The environment variable that names the policy file. */
export const POLICY_ENV = 'KEY_ROTATOR_POLICY';

/** YAML aliases expand on reading; a handful is plenty for a policy and bounds a "billion laughs". */
const MAX_ALIAS_COUNT = 20;

/** The policy of a worker started without a policy file. */
export function defaultWorkerPolicy(): WorkerPolicy {
  return { ...workerPolicySchema.parse({}), name: 'the default worker policy', file: undefined };
}

/** Parses and validates policy text (YAML or JSON); `file` names it in errors and in the result. */
export function parseWorkerPolicy(text: string, file: string): WorkerPolicy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((error) => {
        const [start] = error.linePos ?? [];
        const summary = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        const message = `invalid YAML: ${summary}`;
        return start ? { path: '', line: start.line, column: start.col, message } : { path: '', message };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    throw new ConfigFileError(file, [
      {
        path: '',
        message: `too many YAML alias expansions (more than ${MAX_ALIAS_COUNT}); write the lists out`,
      },
    ]);
  }
  if (data === null || data === undefined) {
    throw new ConfigFileError(file, [
      { path: '', message: 'the file is empty; expected `version: 1` and the lists the worker allows' },
    ]);
  }
  const result = workerPolicySchema.safeParse(data);
  if (!result.success) {
    throw new ConfigFileError(
      file,
      toConfigIssues(result.error, workerPolicySchema, data, { doc, lineCounter }),
    );
  }
  return { ...result.data, name: `the worker policy ${file}`, file };
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err) ?? '';
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code || String(err)})`;
    throw new ConfigFileError(file, [{ path: '', message: `the worker policy file ${reason}` }]);
  }
  return parseWorkerPolicy(text, file);
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
  if (policy.file !== undefined) return `worker policy: ${policy.file}`;
  const { openrouter, destinations } = policy;
  return (
    `default policy: OpenRouter ${openrouter.baseUrls.join(', ')} with ${openrouter.managementKeyEnvs.join(', ')}; ` +
    `Infisical ${destinations.infisicalSiteUrls.join(', ')}; GitHub ${destinations.githubApiUrls.join(', ')}; ` +
    `Vercel ${destinations.vercelApiUrls.join(', ')}; AWS default endpoints; ` +
    `no credential variables or files, no Vault, no file destinations (set ${POLICY_ENV} or --policy to allow more)`
  );
}
