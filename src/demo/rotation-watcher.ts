/**
 * Shows the demo's rotations as they happen: polls the rotation workflow (`rotation-<name>`) and
 * its `status` query, and prints one line per step change, failed attempts that will be retried,
 * then the outcome. A run already under way at start-up (a restart) gets one line saying where it
 * is. Labels only: the status query and the result carry no key.
 */
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import { formatClock } from '../client/output/format-time.js';
import {
  describeFailedAttempt,
  failedAttempts,
  RetryReporter,
} from '../client/rotations/activity-retries.js';
import {
  rotationWorkflowId,
  statusQuery,
  type RotationResult,
  type RotationStatus,
} from '../workflow-contract/messages.js';

export interface RotationWatcherOptions {
  client: Client;
  connection: Connection;
  /** The rotation's name, e.g. demo-app. */
  rotation: string;
  /** Where the progress lines go. */
  print: (line: string) => void;
  /** Between two looks. @default 1000 */
  pollIntervalMs?: number;
}

export interface RotationWatcher {
  stop(): Promise<void>;
}

const QUERY_TIMEOUT_MS = 5_000;

function stepDetail(status: RotationStatus): string {
  switch (status.step) {
    case 'store':
      return status.newKeyLabel ? `: writing the new key ${status.newKeyLabel} to the destinations` : '';
    case 'grace':
      return status.graceEndsAt ? `: both keys work until ${formatClock(status.graceEndsAt)}` : '';
    case 'verify':
      return ': checking the new key and what the destinations hold';
    case 'hold':
      return ': waiting for traffic to move to the new key (both keys stay live)';
    case 'delete':
      return status.oldKeyLabel ? `: deleting the old key ${status.oldKeyLabel}` : '';
    case 'rollback':
      return status.lastError ? `: undoing after an error: ${status.lastError}` : '';
    default:
      return '';
  }
}

function outcomeLine(
  name: string,
  result: RotationResult | undefined,
  status: RotationStatus,
  failure?: string,
): string {
  if (failure !== undefined) return `rotation of ${name} failed: ${failure}`;
  if (result?.outcome === 'skipped')
    return `rotation of ${name} skipped: ${result.skippedBecause ?? 'not due'}`;
  const newKey = result?.newKey?.label ?? status.newKeyLabel ?? 'a new key';
  const old = status.oldKeyLabel
    ? `the old key ${status.oldKeyLabel} was ${result?.oldKeyDeleted === false ? 'NOT ' : ''}deleted`
    : 'there was no old key';
  return `rotation of ${name} succeeded: the app's key is now ${newKey}; ${old}`;
}

export function watchRotation(options: RotationWatcherOptions): RotationWatcher {
  const { client, connection, rotation: name, print } = options;
  const workflowId = rotationWorkflowId(name);
  let stopped = false;
  let wake: (() => void) | undefined;
  /** The run being followed, how many of its steps were printed, whether it has been reported. */
  let run:
    { runId: string; printed: number; paused: boolean; done: boolean; retries: RetryReporter } | undefined;
  let firstLook = true;

  const queryStatus = (handle: WorkflowHandle) =>
    connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(statusQuery));

  async function look(): Promise<void> {
    let description;
    try {
      description = await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      throw err;
    }
    const running = description.status.name === 'RUNNING';
    const handle = client.workflow.getHandle(workflowId, description.runId);
    if (run?.runId !== description.runId) {
      // A run that ended before this start (an earlier session) is history, not news.
      const news = running || !firstLook;
      run = {
        runId: description.runId,
        printed: 0,
        paused: false,
        done: !news,
        retries: new RetryReporter(),
      };
      if (news && firstLook) {
        // Picked up after a restart: one line for where it is, not its whole past stamped "now".
        const status = await queryStatus(handle);
        run.printed = status.steps.length;
        run.paused = status.paused;
        const since = status.steps.at(-1)?.startedAt ?? description.startTime;
        print(
          `rotation of ${name} is in progress (workflow ${workflowId}, run ${description.runId.slice(0, 8)}, ` +
            `started ${formatClock(description.startTime)}): at step ${status.step} since ${formatClock(since)}` +
            `${status.paused ? ', paused' : ''}`,
        );
      } else if (news) {
        print(`rotation of ${name} started (workflow ${workflowId}, run ${description.runId.slice(0, 8)})`);
      }
    }
    if (run.done) return;
    const status = await queryStatus(handle);
    // A paused rotation starts no step: steps seen together with a resume began after it.
    if (!status.paused && run.paused) {
      run.paused = false;
      print(`${name}: resumed`);
    }
    for (; run.printed < status.steps.length; run.printed++) {
      const step = status.steps[run.printed]!;
      const latest = run.printed === status.steps.length - 1;
      if (['done', 'skipped', 'failed'].includes(step.step)) continue;
      print(`${name}: ${step.step}${latest ? stepDetail(status) : ''}`);
    }
    if (status.paused && !run.paused) {
      run.paused = true;
      print(`${name}: paused${status.pauseReason ? ` (${status.pauseReason})` : ''}`);
    }
    const now = new Date();
    for (const attempt of run.retries.news(await failedAttempts(handle).catch(() => [])))
      print(`${name}: ${describeFailedAttempt(attempt, status.step, now)}`);
    if (running) return;
    run.done = true;
    try {
      print(outcomeLine(name, (await handle.result()) as RotationResult, status));
    } catch (err) {
      const message = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err);
      print(outcomeLine(name, undefined, status, message));
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await look();
        firstLook = false;
      } catch {
        // The worker may be busy or restarting; the next look tries again.
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, options.pollIntervalMs ?? 1_000);
      });
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
