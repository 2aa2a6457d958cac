/** `key-rotator worker`: runs the rotation worker until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

export function registerWorkerCommand(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('run the rotation worker (Temporal connection and codec key from the environment)')
    .option(
      '--policy <file>',
      'the worker policy: where rotations may send, read and write credentials (default: $KEY_ROTATOR_POLICY, else the built-in default policy)',
    )
    .action(async (options: { policy?: string }) => {
      // Loaded only here: the worker pulls in the native bridge and the workflow bundler.
      const { runWorker } = await import('../../worker/run-worker.js');
      await runWorker({ env: ctx.env, policyFile: options.policy });
    });
}
