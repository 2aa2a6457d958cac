/**
 * `key-rotator end-grace <name>`: ends the grace period (or a traffic hold) of the rotation in
 * flight now. The rotation still verifies the new key and every destination before it deletes the
 * old key.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { endGraceUpdate, rotationWorkflowId } from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import { RefusedError } from '../cli-errors.js';
import { checkRotationName } from './arguments.js';

export function registerEndGraceCommand(program: Command, ctx: CliContext): void {
  program
    .command('end-grace')
    .description('end the grace period (or a traffic hold) of the running rotation of a key now')
    .argument('<name>', 'the rotation name')
    .option('--json', 'print JSON')
    .action(async (nameArgument: string, options: { json?: boolean }) => {
      const name = checkRotationName(nameArgument);
      const { client } = await ctx.temporal();
      const handle = client.workflow.getHandle(rotationWorkflowId(name));
      const running = await handle
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        });
      if (!running) throw new RefusedError(`no rotation of ${name} is running; nothing to end`);
      const status = await handle.executeUpdate(endGraceUpdate);
      if (options.json) ctx.out.json(status);
      else
        ctx.out.line(
          `Ended the grace period of ${name} (step ${status.step}${status.paused ? ', paused: `resume` to continue' : ''}): ` +
            'it now verifies the new key and the destinations, then deletes the old key.',
        );
    });
}
