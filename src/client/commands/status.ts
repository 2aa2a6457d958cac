/**
 * `key-rotator status <name> [--json]`: one rotation in detail: its schedule, next rotation, active
 * key label, last run, the rotation running now (step, pause, grace end, labels) and the last error.
 */
import type { Command } from 'commander';
import { rotationScheduleId } from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import { RotationNotFoundError } from '../cli-errors.js';
import { formatRelative, formatUtc } from '../output/format-time.js';
import { destinationLabel } from '../rotations/destination-label.js';
import { rotationOverview, type RotationOverview } from '../rotations/rotation-overview.js';
import { failingNotifications, type FailingNotifications } from '../rotations/notification-health.js';
import { failureMessageOf, listRotationRuns } from '../rotations/rotation-runs.js';
import { findRunningRotation, type RunningRotation } from '../rotations/running-rotation.js';
import { readRotationSchedule } from '../schedules/current-schedule.js';
import { checkRotationName } from './arguments.js';
import { nextRunText, scheduleStateOf } from './list.js';

export interface RotationStatusReport extends RotationOverview {
  gracePeriod: string | null;
  destinations: string[];
  running: RunningRotation | null;
  lastError: { workflowId: string; runId: string; at: string; message: string } | null;
  /** The newest event delivery, when it failed: a notification sink is failing now. */
  failingNotifications: FailingNotifications | null;
}

function printReport(ctx: CliContext, report: RotationStatusReport): void {
  const now = ctx.now();
  const row = (label: string, value: string) => ctx.out.line(`  ${label.padEnd(14)}${value}`);
  ctx.out.line(report.description ? `${report.name}: ${report.description}` : report.name);
  const cadence =
    report.intervalDays === null
      ? ''
      : ` (every ${report.intervalDays} day(s) at ${report.rotateAt} ${report.timezone})`;
  row('schedule', report.schedule ? `${scheduleStateOf(report)}${cadence}` : 'none (not applied, or pruned)');
  if (report.schedule?.note) row('', `note: ${report.schedule.note}`);
  row('next rotation', nextRunText(report, now, true));
  const created = report.lastRotatedAt ? ` (current key created ${formatUtc(report.lastRotatedAt)})` : '';
  row('active key', `${report.activeKeyLabel ?? '-'}${created}`);
  if (report.lastRun) {
    const run = report.lastRun;
    const span = run.endedAt
      ? `${formatUtc(run.startedAt)} → ${formatUtc(run.endedAt)}`
      : `since ${formatUtc(run.startedAt)}`;
    row('last run', `${run.outcome}${run.reason ? `, ${run.reason}` : ''}, ${span}`);
  } else row('last run', '-');
  if (report.gracePeriod) row('grace period', report.gracePeriod);
  report.destinations.forEach((d, i) => row(i === 0 ? 'destinations' : '', d));

  const running = report.running;
  if (running) {
    const status = running.status;
    if (!status) row('running', `since ${formatUtc(running.startedAt)}; ${running.statusUnavailable ?? ''}`);
    else {
      row(
        'running',
        `step ${status.step} (${status.reason}${status.note ? `: ${status.note}` : ''}), since ${formatUtc(running.startedAt)}`,
      );
      if (status.paused)
        row(
          '',
          `PAUSED${status.pauseReason ? `: ${status.pauseReason}` : ''}; \`key-rotator resume ${report.name}\` continues`,
        );
      if (status.graceEndsAt)
        row('', `grace ends ${formatUtc(status.graceEndsAt)} (${formatRelative(status.graceEndsAt, now)})`);
      if (status.oldKeyLabel) row('', `old key ${status.oldKeyLabel}`);
      if (status.newKeyLabel) row('', `new key ${status.newKeyLabel}`);
      for (const line of status.carryOver?.summary ?? []) row('', `carries ${line}`);
      for (const warning of status.warnings) row('', `warning: ${warning}`);
      for (const note of status.notes ?? []) row('', `note: ${note}`);
      if (status.lastError) row('', `error: ${status.lastError}`);
    }
  } else row('running', 'no');
  if (report.lastError) row('last error', `${formatUtc(report.lastError.at)}: ${report.lastError.message}`);
  if (report.failingNotifications)
    row(
      'notifications',
      `FAILING since ${formatUtc(report.failingNotifications.at)}: ${report.failingNotifications.message}`,
    );
  for (const warning of report.warnings) row('warning', warning);
}

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show one rotation in detail, including the rotation running now and the last error')
    .argument('<name>', 'the rotation name')
    .option('--json', 'print JSON')
    .action(async (nameArgument: string, options: { json?: boolean }) => {
      const name = checkRotationName(nameArgument);
      const { client, connection } = await ctx.temporal();
      const schedule = await readRotationSchedule(client, name);
      const overview = await rotationOverview(client, name, ctx.now(), schedule);
      if (schedule.state === 'missing' && !overview.lastRun) {
        throw new RotationNotFoundError(
          `no rotation named "${name}": there is no schedule ${rotationScheduleId(name)} and no past rotation; ` +
            '`key-rotator list` shows the rotations that exist',
        );
      }
      const rotation = schedule.state === 'found' ? schedule.rotation : undefined;
      const [lastFailed] = await listRotationRuns(client, name, {
        limit: 1,
        where: 'ExecutionStatus = "Failed"',
      });
      const failure = lastFailed ? await failureMessageOf(client, lastFailed) : undefined;
      const report: RotationStatusReport = {
        ...overview,
        gracePeriod: rotation?.gracePeriod ?? null,
        destinations: rotation?.destinations.map(destinationLabel) ?? [],
        running: (await findRunningRotation(client, connection, name)) ?? null,
        lastError:
          lastFailed && failure
            ? {
                workflowId: lastFailed.workflowId,
                runId: lastFailed.runId,
                at: lastFailed.endedAt ?? lastFailed.startedAt,
                message: failure,
              }
            : null,
        failingNotifications: (await failingNotifications(client, name)) ?? null,
      };
      if (options.json) ctx.out.json(report);
      else printReport(ctx, report);
    });
}
