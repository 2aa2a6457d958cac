/**
 * `key-rotator rotate <name> [--grace <duration>] [--wait] [--reason <text>] [-f rotations.yaml]`:
 * starts a rotation now, with the applied configuration (or the file's). Only one rotation of a key
 * runs at a time: the workflow id is fixed per key and a second start is refused.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Option, type Command } from 'commander';
import type { RotationConfig } from '../../config/schema.js';
import {
  rotationNameKey,
  rotationReasonKey,
  rotationWorkflowId,
  type RotationInput,
} from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import { cliCommand } from '../checkout.js';
import { RefusedError } from '../cli-errors.js';
import { formatUtc } from '../output/format-time.js';
import { appliedRotation, rotationFromFile } from '../rotations/rotation-snapshot.js';
import { waitForRotation } from '../rotations/wait-for-rotation.js';
import { rotationTaskQueue, WORKFLOW_TYPES, type Workflows } from '../workflow-names.js';
import { checkRotationName, durationArgument } from './arguments.js';

interface RotateOptions {
  grace?: string;
  wait?: boolean;
  reason?: string;
  file?: string;
  checkEnv?: boolean;
  json?: boolean;
}

export function registerRotateCommand(program: Command, ctx: CliContext): void {
  program
    .command('rotate')
    .description('rotate a key now (e.g. after a suspected leak); refused while a rotation of it is running')
    .argument('<name>', 'the rotation name')
    .option(
      '--grace <duration>',
      'grace period for this run instead of the configured one (0s = revoke the old key right after verification)',
      durationArgument,
    )
    .option('--wait', 'follow the rotation step by step until it ends; exit 1 if it fails')
    .option('--reason <text>', 'why you rotate (recorded with the run)')
    .option(
      '-f, --file <path>',
      'take the configuration from this rotations file instead of the applied schedule',
    )
    .option(
      '--check-env',
      'also check that the credentials the configuration names exist here (only useful where the worker runs: it reads them)',
    )
    // The check used to run by default and this turned it off: still accepted so that scripts keep working.
    .addOption(new Option('--no-env-check').hideHelp())
    .option('--json', 'print the start (and with --wait the result) as JSON')
    .action(async (nameArgument: string, options: RotateOptions) => {
      const name = checkRotationName(nameArgument);
      const snapshotOptions = {
        file: options.file,
        envCheck: options.checkEnv === true,
        env: ctx.env,
        cwd: ctx.cwd,
      };
      // A file is checked completely before Temporal is contacted.
      let rotation: RotationConfig | undefined = options.file
        ? await rotationFromFile(options.file, name, snapshotOptions)
        : undefined;
      const { client, connection } = await ctx.temporal();
      rotation ??= await appliedRotation(client, name, snapshotOptions);

      const input: RotationInput = {
        rotation,
        options: {
          reason: 'manual',
          ...(options.grace !== undefined && { grace: options.grace }),
          ...(options.reason !== undefined && { note: options.reason }),
        },
      };
      const workflowId = rotationWorkflowId(name);
      let handle;
      try {
        handle = await client.workflow.start<Workflows['rotationWorkflow']>(WORKFLOW_TYPES.rotation, {
          workflowId,
          taskQueue: rotationTaskQueue(ctx.env),
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: [
            { key: rotationNameKey, value: name },
            { key: rotationReasonKey, value: 'manual' },
          ],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const running = await client.workflow
          .getHandle(workflowId)
          .describe()
          .catch(() => undefined);
        const since = running ? ` (started ${formatUtc(running.startTime)})` : '';
        throw new RefusedError(
          `a rotation of ${name} is already running${since}; see \`key-rotator status ${name}\``,
        );
      }
      const started = new Date();
      if (!options.json) {
        ctx.out.progress(
          `Started rotation of ${name} (workflow ${workflowId}, run ${handle.firstExecutionRunId}).`,
          { rotation: name, workflowId, runId: handle.firstExecutionRunId },
          'stdout',
        );
      }
      if (!options.wait) {
        if (options.json) ctx.out.json({ workflowId, runId: handle.firstExecutionRunId, started: true });
        else ctx.out.line(`Follow it with \`${cliCommand(`watch ${name}`, ctx.cwd)}\`, or pass --wait.`);
        return;
      }
      await waitForRotation(ctx, handle, connection, {
        name,
        json: options.json,
        runId: handle.firstExecutionRunId,
        startedAt: started,
      });
    });
}
