/**
 * `key-rotator validate -f rotations.yaml [--policy FILE] [--check-env] [--json]`: the checks
 * `apply` makes before it contacts Temporal, and nothing else: the file against the schema, and
 * (with a worker policy) the rotations against what that worker would refuse. No Temporal, no
 * network, nothing written; exit 0 when the file is good, 2 with every problem named otherwise.
 * For CI and for a Helm chart's values before they reach a cluster.
 */
import type { Command } from 'commander';
import { ConfigFileError } from '../../config-files/config-file-error.js';
import { loadConfig } from '../../config/load-config.js';
import { findEnvironmentProblems, findPolicyProblems } from '../../policy/check-environment.js';
import { loadWorkerPolicyFile, workerPolicyFile } from '../../policy/load-worker-policy.js';
import type { CliContext } from '../cli-context.js';

/** What `validate` and `apply` check a rotations file with. */
export interface ConfigCheckOptions {
  /** The rotations file. */
  file: string;
  /** The worker policy to check against. @default $KEY_ROTATOR_POLICY, else none */
  policy?: string;
  /** Also check that the credentials the file names exist in this environment. @default false */
  checkEnv?: boolean;
}

interface ValidateOptions extends ConfigCheckOptions {
  json?: boolean;
}

/**
 * Loads the rotations file and checks it, and with a worker policy the rotations against it:
 * every problem at once, as a ConfigFileError (exit 2). No Temporal, no network.
 */
export async function loadCheckedConfig(options: ConfigCheckOptions, ctx: CliContext) {
  const config = await loadConfig(options.file);
  const policyFile = workerPolicyFile({ file: options.policy, env: ctx.env });
  const policy = policyFile === undefined ? undefined : await loadWorkerPolicyFile(policyFile);
  const policyProblems = policy ? findPolicyProblems(config, policy, { cwd: ctx.cwd }) : [];
  const problems = [
    ...policyProblems,
    ...(options.checkEnv ? findEnvironmentProblems(config, ctx.env, { cwd: ctx.cwd, policyProblems }) : []),
  ];
  if (problems.length > 0) throw new ConfigFileError(options.file, problems);
  return { config, policyFile };
}

export function registerValidateCommand(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description(
      'check a rotations file (and, with a worker policy, what that worker would refuse) without Temporal; ' +
        'exit 0 if it is good, 2 with every problem otherwise',
    )
    .requiredOption('-f, --file <path>', 'the rotations file (YAML or JSON)')
    .option(
      '--policy <file>',
      'also check the rotations against this worker policy (default: $KEY_ROTATOR_POLICY)',
    )
    .option('--check-env', 'also check that the credentials the file names exist in this environment')
    .option('--json', 'print the result as JSON')
    .action(async (options: ValidateOptions) => {
      const { config, policyFile } = await loadCheckedConfig(options, ctx);
      const rotations = config.rotations.map((r) => r.name);
      if (options.json) {
        ctx.out.json({ file: options.file, valid: true, rotations, policy: policyFile ?? null });
        return;
      }
      const against = policyFile
        ? `, and the worker policy ${policyFile} allows them`
        : ' (no worker policy given: --policy FILE also checks what the worker would refuse)';
      ctx.out.line(
        `${options.file}: valid, ${rotations.length} rotation(s): ${rotations.join(', ')}${against}.`,
      );
    });
}
