/**
 * The end of `rotate --wait` and `watch`: follows the rotation until it ends and prints its
 * outcome, or, on Ctrl-C, stops watching (the rotation goes on in Temporal) and says the exact
 * command that watches it again.
 */
import type { Connection, WorkflowHandle } from '@temporalio/client';
import { runUntilSignal } from '../../process/run-until-signal.js';
import type { RotationResult } from '../../workflow-contract/messages.js';
import { cliCommand } from '../checkout.js';
import type { CliContext } from '../cli-context.js';
import { RotationFailedError, WatchStoppedError } from '../cli-errors.js';
import { formatElapsed, formatUtc } from '../output/format-time.js';
import { followRotation, type FollowOptions, type FollowOutcome } from './rotation-progress.js';

export interface WaitForRotationOptions {
  /** The rotation's name. */
  name: string;
  /** Print the result as JSON on stdout (progress goes to stderr). @default false */
  json?: boolean;
  /** The run followed, for --json. */
  runId: string;
  /** When the run started, for "succeeded in …". */
  startedAt: Date;
  /** What the caller has shown already (see {@link FollowOptions.alreadyShown}). */
  alreadyShown?: FollowOptions['alreadyShown'];
  /** Stops watching instead of SIGINT/SIGTERM (tests). @default the process's signals */
  signal?: AbortSignal;
}

function printSummary(ctx: CliContext, result: RotationResult, tookMs: number): void {
  if (result.outcome === 'skipped') {
    ctx.out.line(`Rotation of ${result.rotation} skipped: ${result.skippedBecause ?? 'not due'}.`);
    return;
  }
  ctx.out.line(`Rotation of ${result.rotation} succeeded in ${formatElapsed(tookMs)}.`);
  if (result.newKey)
    ctx.out.line(`  new key       ${result.newKey.label} (created ${formatUtc(result.newKey.createdAt)})`);
  if (result.oldKeyHash) {
    ctx.out.line(
      `  old key       ${result.oldKeyDeleted ? 'deleted' : 'NOT deleted'} (hash ${result.oldKeyHash.slice(0, 12)}…)`,
    );
  } else ctx.out.line('  old key       none (first rotation)');
  for (const [i, d] of result.destinations.entries()) {
    ctx.out.line(`  ${i === 0 ? 'destinations' : ''.padEnd(12)}  ${d.destination} version ${d.version}`);
  }
  for (const warning of result.warnings) ctx.out.line(`  warning       ${warning}`);
  for (const note of result.notes ?? []) ctx.out.line(`  note          ${note}`);
}

/**
 * Follows `handle` until the rotation ends.
 * @throws RotationFailedError when it failed; WatchStoppedError on Ctrl-C (it goes on).
 */
export async function waitForRotation(
  ctx: CliContext,
  handle: WorkflowHandle,
  connection: Connection,
  options: WaitForRotationOptions,
): Promise<void> {
  const { name } = options;
  let outcome: FollowOutcome | undefined;
  await runUntilSignal(
    async (signal) => {
      outcome = await followRotation(handle, connection, {
        print: (line, fields) =>
          ctx.out.progress(
            line,
            { rotation: name, workflowId: handle.workflowId, runId: options.runId, ...fields },
            options.json ? 'stderr' : 'stdout',
          ),
        alreadyShown: options.alreadyShown,
        signal,
      });
    },
    { signal: options.signal },
  );
  const ended = outcome as FollowOutcome | undefined;
  if (!ended) throw new Error('the rotation was not followed');
  if (!ended.ok && ended.detached) {
    throw new WatchStoppedError(
      `stopped watching; the rotation of ${name} goes on (workflow ${handle.workflowId}). ` +
        `Watch it again with: ${cliCommand(`watch ${name}`, ctx.cwd)}`,
    );
  }
  if (!ended.ok) throw new RotationFailedError(`rotation of ${name} failed: ${ended.message}`);
  if (options.json)
    ctx.out.json({ workflowId: handle.workflowId, runId: options.runId, result: ended.result });
  else printSummary(ctx, ended.result, Date.now() - options.startedAt.getTime());
}
