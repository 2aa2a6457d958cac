/**
 * `key-rotator sweep -f rotations.yaml [--delete] [--json]`: keys at OpenRouter that key-rotator
 * created (its name pattern) that no rotation's destinations hold and no running rotation owns.
 * A dry run unless `--delete`. It runs as a workflow on the worker (src/workflows/sweep-workflow.ts):
 * the management keys and the worker policy (allowed base URLs, destinations) live there, so this
 * command never needs a management key; it only reads the file and asks Temporal which rotations
 * are running.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { rotationNameKey, SWEEP_WORKFLOW_ID, type SweepResult } from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import { RefusedError, RotationFailedError } from '../cli-errors.js';
import { formatUtc } from '../output/format-time.js';
import { rotationTaskQueue, WORKFLOW_TYPES, type Workflows } from '../workflow-names.js';

interface SweepOptions {
  file: string;
  delete?: boolean;
  json?: boolean;
}

/** Keys created this recently are left alone: a rotation may have made them after we looked. */
const YOUNGEST_ORPHAN_MS = 10 * 60_000;

function printResult(ctx: CliContext, result: SweepResult): void {
  ctx.out.line(
    `Searched ${result.accounts} OpenRouter account(s): ${result.managedKeys} key(s) made by key-rotator, ` +
      `${result.orphans.length} orphan(s).`,
  );
  for (const orphan of result.orphans) {
    const state = orphan.deleted ? 'deleted' : orphan.inUse ? `kept, in use: ${orphan.inUse}` : 'orphan';
    const from = `${orphan.rotation}${orphan.configured ? '' : ', not in the file'}`;
    ctx.out.line(
      `  ${orphan.label}  ${orphan.name}  (${from}; created ${formatUtc(orphan.createdAt)})  ${state}`,
    );
  }
  for (const warning of result.warnings) ctx.out.line(`  warning: ${warning}`);
  const deletable = result.orphans.filter((o) => !o.deleted && !o.inUse).length;
  if (result.dryRun) {
    ctx.out.line(
      deletable > 0
        ? `Dry run: nothing deleted; --delete deletes the ${deletable} orphan(s) not in use.`
        : 'Dry run: nothing deleted.',
    );
  } else ctx.out.line(`Deleted ${result.orphans.filter((o) => o.deleted).length} orphan(s).`);
}

export function registerSweepCommand(program: Command, ctx: CliContext): void {
  program
    .command('sweep')
    .description(
      'find keys key-rotator created that no destination holds and no running rotation owns (dry run unless --delete)',
    )
    .requiredOption('-f, --file <path>', 'the rotations file: its destinations and OpenRouter accounts')
    .option('--delete', 'delete the orphans that had no traffic in the last 24 hours')
    .option('--json', 'print the result as JSON')
    .action(async (options: SweepOptions) => {
      const config = await loadConfig(options.file);
      const startedAt = ctx.now();
      const { client } = await ctx.temporal();
      const runningRotations = new Set<string>();
      const running = client.workflow.list({
        query: `WorkflowType = "${WORKFLOW_TYPES.rotation}" AND ExecutionStatus = "Running"`,
      });
      for await (const run of running) {
        // The workflow id names the rotation too (rotationWorkflowId), for a run started without the attribute.
        const name =
          run.typedSearchAttributes.get(rotationNameKey) ?? /^rotation-(.+)$/.exec(run.workflowId)?.[1];
        if (name) runningRotations.add(name);
      }

      let result: SweepResult;
      try {
        result = await client.workflow.execute<Workflows['sweepWorkflow']>(WORKFLOW_TYPES.sweep, {
          workflowId: SWEEP_WORKFLOW_ID,
          taskQueue: rotationTaskQueue(ctx.env),
          workflowIdConflictPolicy: 'FAIL',
          args: [
            {
              rotations: config.rotations,
              runningRotations: [...runningRotations],
              createdBefore: new Date(startedAt.getTime() - YOUNGEST_ORPHAN_MS).toISOString(),
              delete: options.delete === true,
            },
          ],
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError)
          throw new RefusedError('a sweep is already running; wait for it to end');
        if (err instanceof WorkflowFailedError)
          throw new RotationFailedError(`the sweep failed: ${err.cause?.message ?? err.message}`);
        throw err;
      }
      if (options.json) ctx.out.json(result);
      else printResult(ctx, result);
    });
}
