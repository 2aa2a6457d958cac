/**
 * `key-rotator sweep -f rotations.yaml [--all-rotations] [--delete [--yes]] [--json]`: keys at
 * OpenRouter that key-rotator created (its name pattern) for the file's rotations, in the file's
 * workspaces, that no rotation's destinations hold and no running rotation owns. A dry run unless
 * `--delete`; on a terminal `--delete` first shows what it would delete and asks, and then deletes
 * only what was shown; `--yes` deletes without asking (scripts); with neither a terminal nor
 * `--yes` it is refused. It runs as a workflow on the worker (src/workflows/sweep-workflow.ts): the
 * management keys and the worker policy (allowed base URLs, destinations) live there, so this
 * command never needs a management key; it only reads the file and asks Temporal which rotations
 * are running.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import {
  rotationNameKey,
  SWEEP_WORKFLOW_ID,
  type OrphanKey,
  type SweepInput,
  type SweepResult,
} from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import type { Ask } from '../output/ask.js';
import { RefusedError, RotationFailedError } from '../cli-errors.js';
import { formatUtc } from '../output/format-time.js';
import { rotationTaskQueue, WORKFLOW_TYPES, type Workflows } from '../workflow-names.js';

interface SweepOptions {
  file: string;
  delete?: boolean;
  yes?: boolean;
  allRotations?: boolean;
  json?: boolean;
}

/** Keys created this recently are left alone: a rotation may have made them after we looked. */
const YOUNGEST_ORPHAN_MS = 10 * 60_000;

/** The orphans a sweep with `delete` deletes: not in use, and every destination was read. */
function deletable(result: SweepResult): OrphanKey[] {
  if (result.destinationsRead === false) return [];
  return result.orphans.filter((o) => !o.deleted && !o.inUse);
}

function orphanLine(orphan: OrphanKey): string {
  const from = `${orphan.rotation}${orphan.configured ? '' : ', not in the file'}`;
  return `  ${orphan.label}  ${orphan.name}  (${from}; created ${formatUtc(orphan.createdAt)})`;
}

function printResult(ctx: CliContext, result: SweepResult): void {
  ctx.out.line(
    `Searched ${result.accounts} OpenRouter account(s): ${result.managedKeys} key(s) made by key-rotator, ` +
      `${result.orphans.length} orphan(s).`,
  );
  for (const orphan of result.orphans) {
    const state = orphan.deleted ? 'deleted' : orphan.inUse ? `kept, in use: ${orphan.inUse}` : 'orphan';
    ctx.out.line(`${orphanLine(orphan)}  ${state}`);
  }
  for (const warning of result.warnings) ctx.out.line(`  warning: ${warning}`);
  const count = deletable(result).length;
  if (result.dryRun) {
    ctx.out.line(
      count > 0
        ? `Dry run: nothing deleted; --delete deletes the ${count} orphan(s) not in use.`
        : 'Dry run: nothing deleted.',
    );
  } else ctx.out.line(`Deleted ${result.orphans.filter((o) => o.deleted).length} orphan(s).`);
}

/** Names of the rotations running now, from Temporal visibility. */
async function runningRotations(client: Client): Promise<string[]> {
  const names = new Set<string>();
  const running = client.workflow.list({
    query: `WorkflowType = "${WORKFLOW_TYPES.rotation}" AND ExecutionStatus = "Running"`,
  });
  for await (const run of running) {
    // The workflow id names the rotation too (rotationWorkflowId), for a run started without the attribute.
    const name =
      run.typedSearchAttributes.get(rotationNameKey) ?? /^rotation-(.+)$/.exec(run.workflowId)?.[1];
    if (name) names.add(name);
  }
  return [...names];
}

async function runSweep(client: Client, ctx: CliContext, input: SweepInput): Promise<SweepResult> {
  try {
    return await client.workflow.execute<Workflows['sweepWorkflow']>(WORKFLOW_TYPES.sweep, {
      workflowId: SWEEP_WORKFLOW_ID,
      taskQueue: rotationTaskQueue(ctx.env),
      workflowIdConflictPolicy: 'FAIL',
      args: [input],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new RefusedError('a sweep is already running; wait for it to end');
    if (err instanceof WorkflowFailedError)
      throw new RotationFailedError(`the sweep failed: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

/**
 * Shows the person at the terminal what a dry run found deletable and asks; resolves with the
 * hashes they agreed to delete (empty: nothing to delete).
 */
async function confirmDeletion(ask: Ask, ctx: CliContext, dryRun: SweepResult): Promise<string[]> {
  const candidates = deletable(dryRun);
  if (candidates.length === 0) return [];
  ctx.out.error(`These ${candidates.length} orphan(s) had no traffic in the last 24 hours:`);
  for (const orphan of candidates) ctx.out.error(orphanLine(orphan));
  const answer = await ask('Delete them at OpenRouter? This cannot be undone. Type "yes" to delete: ');
  if (answer.trim().toLowerCase() !== 'yes') throw new RefusedError('not confirmed: nothing was deleted');
  return candidates.map((o) => o.hash);
}

export function registerSweepCommand(program: Command, ctx: CliContext): void {
  program
    .command('sweep')
    .description(
      'find keys key-rotator created for the rotations of the file, in its workspaces, that no destination ' +
        'holds and no running rotation owns (dry run unless --delete)',
    )
    .requiredOption(
      '-f, --file <path>',
      'the rotations file: its rotations, destinations and OpenRouter accounts',
    )
    .option(
      '--all-rotations',
      "also keys of rotations not in the file (only where no other deployment shares the file's management keys)",
    )
    .option(
      '--delete',
      'delete the orphans that had no traffic in the last 24 hours (asks first on a terminal)',
    )
    .option('-y, --yes', 'with --delete: delete without asking (for scripts)')
    .option('--json', 'print the result as JSON')
    .action(async (options: SweepOptions) => {
      const config = await loadConfig(options.file);
      const ask = options.delete && !options.yes ? ctx.ask : undefined;
      if (options.delete && !options.yes && !ask)
        throw new RefusedError(
          'sweep --delete asks before it deletes, and stdin is not a terminal: add --yes to delete ' +
            'without asking (run it without --delete first to see what it would delete); nothing was deleted',
        );
      const startedAt = ctx.now();
      const { client } = await ctx.temporal();
      const input: SweepInput = {
        rotations: config.rotations,
        runningRotations: await runningRotations(client),
        createdBefore: new Date(startedAt.getTime() - YOUNGEST_ORPHAN_MS).toISOString(),
        delete: options.delete === true,
        ...(options.allRotations ? { allRotations: true } : {}),
      };
      let result: SweepResult;
      if (ask) {
        // A dry run first, so the person sees what goes; the deleting run deletes nothing else.
        const dryRun = await runSweep(client, ctx, { ...input, delete: false });
        const confirmed = await confirmDeletion(ask, ctx, dryRun);
        result =
          confirmed.length === 0 ? dryRun : await runSweep(client, ctx, { ...input, deleteOnly: confirmed });
      } else result = await runSweep(client, ctx, input);
      if (options.json) ctx.out.json(result);
      else printResult(ctx, result);
    });
}
