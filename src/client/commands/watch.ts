/**
 * `key-rotator watch <name> [--json]`: follows the rotation of a key running now, as
 * `rotate --wait` does, from where it is (the steps already taken are summed up in one line, not
 * printed again), and prints its outcome. The command to come back after Ctrl-C on `rotate --wait`.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { rotationScheduleId, rotationWorkflowId, statusQuery } from '../../workflow-contract/messages.js';
import { cliCommand } from '../checkout.js';
import type { CliContext } from '../cli-context.js';
import { RefusedError, RotationNotFoundError } from '../cli-errors.js';
import { formatClock } from '../output/format-time.js';
import { STATUS_QUERY_TIMEOUT_MS } from '../rotations/running-rotation.js';
import { waitForRotation } from '../rotations/wait-for-rotation.js';
import { readRotationSchedule } from '../schedules/current-schedule.js';
import { checkRotationName } from './arguments.js';

export function registerWatchCommand(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('follow the running rotation of a key until it ends (as rotate --wait); exit 1 if it fails')
    .argument('<name>', 'the rotation name')
    .option('--json', 'print the result as JSON (progress goes to stderr)')
    .action(async (nameArgument: string, options: { json?: boolean }) => {
      const name = checkRotationName(nameArgument);
      const { client, connection } = await ctx.temporal();
      const workflowId = rotationWorkflowId(name);
      const description = await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
      if (!description) {
        if ((await readRotationSchedule(client, name)).state === 'missing') {
          throw new RotationNotFoundError(
            `no rotation named "${name}": there is no schedule ${rotationScheduleId(name)} and no past rotation; ` +
              '`key-rotator list` shows the rotations that exist',
          );
        }
        throw new RefusedError(
          `no rotation of ${name} is running, nor has one run; start one with \`${cliCommand(`rotate ${name} --wait`, ctx.cwd)}\``,
        );
      }
      // The run that is (or was last) the key's rotation: its outcome is printed either way.
      const handle = client.workflow.getHandle(workflowId, description.runId);
      const progress = (line: string) =>
        ctx.out.progress(
          line,
          { rotation: name, workflowId, runId: description.runId },
          options.json ? 'stderr' : 'stdout',
        );
      let alreadyShown;
      if (description.status.name === 'RUNNING') {
        const status = await connection
          .withDeadline(Date.now() + STATUS_QUERY_TIMEOUT_MS, () => handle.query(statusQuery))
          .catch(() => undefined);
        const where = status
          ? `now at step ${status.step} since ${formatClock(status.steps.at(-1)?.startedAt ?? description.startTime)}` +
            `${status.paused ? `, paused${status.pauseReason ? `: ${status.pauseReason}` : ''}` : ''}`
          : 'no worker answers yet';
        progress(
          `Watching the rotation of ${name} (workflow ${workflowId}, run ${description.runId}, started ` +
            `${formatClock(description.startTime)}): ${where}.`,
        );
        if (status) alreadyShown = { steps: status.steps.length, paused: status.paused };
      } else {
        progress(
          `No rotation of ${name} is running; the last one (run ${description.runId}) ended ` +
            `${description.closeTime ? `at ${formatClock(description.closeTime)} ` : ''}(${description.status.name.toLowerCase()}).`,
        );
        alreadyShown = { steps: Number.MAX_SAFE_INTEGER, paused: false };
      }
      await waitForRotation(ctx, handle, connection, {
        name,
        json: options.json,
        runId: description.runId,
        startedAt: description.startTime,
        alreadyShown,
      });
    });
}
