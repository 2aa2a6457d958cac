/**
 * `key-rotator pause <name> [--reason]` / `resume <name>`: pause or unpause auto-rotation (the
 * schedule) and hold or release a rotation in flight (a signal; the workflow waits before its next
 * step). Each says which of the two applied.
 */
import { ScheduleNotFoundError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import {
  pauseSignal,
  resumeSignal,
  rotationScheduleId,
  rotationWorkflowId,
} from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import { RotationNotFoundError } from '../cli-errors.js';
import { readRotationSchedule } from '../schedules/current-schedule.js';
import { PAUSED_BY_OPERATOR_PREFIX } from '../schedules/rotation-schedule.js';
import { checkRotationName } from './arguments.js';

type Direction = 'pause' | 'resume';

interface ToggleReport {
  name: string;
  /** What happened to the schedule. */
  schedule:
    'paused' | 'already paused' | 'resumed' | 'not paused' | 'kept paused (disabled in the file)' | 'none';
  /** What happened to a running rotation. */
  runningRotation: 'pause signal sent' | 'resume signal sent' | 'none running';
}

async function signalRunning(
  client: Client,
  name: string,
  direction: Direction,
  reason?: string,
): Promise<boolean> {
  const handle = client.workflow.getHandle(rotationWorkflowId(name));
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return false;
    if (direction === 'pause') await handle.signal(pauseSignal, reason);
    else await handle.signal(resumeSignal);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

async function toggle(
  ctx: CliContext,
  name: string,
  direction: Direction,
  reason?: string,
): Promise<ToggleReport> {
  const { client } = await ctx.temporal();
  const schedule = await readRotationSchedule(client, name);
  let scheduleOutcome: ToggleReport['schedule'] = 'none';
  if (schedule.state !== 'missing') {
    const handle = client.schedule.getHandle(rotationScheduleId(name));
    const paused = schedule.state === 'found' ? schedule.description.state.paused : undefined;
    try {
      if (direction === 'pause') {
        if (paused) scheduleOutcome = 'already paused';
        else {
          await handle.pause(reason ? `${PAUSED_BY_OPERATOR_PREFIX}: ${reason}` : PAUSED_BY_OPERATOR_PREFIX);
          scheduleOutcome = 'paused';
        }
      } else if (schedule.state === 'found' && schedule.rotation?.schedule.enabled === false) {
        scheduleOutcome = 'kept paused (disabled in the file)';
      } else if (paused === false) scheduleOutcome = 'not paused';
      else {
        await handle.unpause('resumed by key-rotator resume');
        scheduleOutcome = 'resumed';
      }
    } catch (err) {
      // Deleted between the read and the change.
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  const signalled = await signalRunning(client, name, direction, reason);
  if (scheduleOutcome === 'none' && !signalled) {
    throw new RotationNotFoundError(
      `no rotation named "${name}": there is no schedule ${rotationScheduleId(name)} and no running rotation; ` +
        '`key-rotator list` shows the rotations that exist',
    );
  }
  return {
    name,
    schedule: scheduleOutcome,
    runningRotation: signalled
      ? direction === 'pause'
        ? 'pause signal sent'
        : 'resume signal sent'
      : 'none running',
  };
}

function print(ctx: CliContext, report: ToggleReport, direction: Direction): void {
  const schedule: Record<ToggleReport['schedule'], string> = {
    paused: 'paused: no scheduled rotation starts until `key-rotator resume`',
    'already paused': 'was already paused',
    resumed: 'resumed: scheduled rotations start again',
    'not paused': 'was not paused',
    'kept paused (disabled in the file)':
      'kept paused: the rotations file says enabled: false (set it to true and run `key-rotator apply`)',
    none: 'none (not applied)',
  };
  const running: Record<ToggleReport['runningRotation'], string> = {
    'pause signal sent': 'pause signal sent: it waits before its next step',
    'resume signal sent': 'resume signal sent: it continues with its next step',
    'none running': 'none running',
  };
  ctx.out.line(`${direction === 'pause' ? 'Paused' : 'Resumed'} ${report.name}:`);
  ctx.out.line(`  schedule          ${schedule[report.schedule]}`);
  ctx.out.line(`  running rotation  ${running[report.runningRotation]}`);
}

export function registerPauseResumeCommands(program: Command, ctx: CliContext): void {
  program
    .command('pause')
    .description('pause auto-rotation of a key and hold a rotation of it that is in flight')
    .argument('<name>', 'the rotation name')
    .option('--reason <text>', 'why (shown by status and kept on the schedule)')
    .option('--json', 'print JSON')
    .action(async (nameArgument: string, options: { reason?: string; json?: boolean }) => {
      const report = await toggle(ctx, checkRotationName(nameArgument), 'pause', options.reason);
      if (options.json) ctx.out.json(report);
      else print(ctx, report, 'pause');
    });
  program
    .command('resume')
    .description('resume auto-rotation of a key and release a held rotation of it')
    .argument('<name>', 'the rotation name')
    .option('--json', 'print JSON')
    .action(async (nameArgument: string, options: { json?: boolean }) => {
      const report = await toggle(ctx, checkRotationName(nameArgument), 'resume');
      if (options.json) ctx.out.json(report);
      else print(ctx, report, 'resume');
    });
}
