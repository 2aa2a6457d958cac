/** `key-rotator list [--json]`: every rotation that has a schedule, one line each. */
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { formatLocalTime, formatRelative, formatUtc } from '../output/format-time.js';
import { listRotationOverviews, type RotationOverview } from '../rotations/rotation-overview.js';

/** "active", "paused", "disabled" or "—" (no schedule). */
export function scheduleStateOf(overview: Pick<RotationOverview, 'schedule' | 'enabled'>): string {
  if (!overview.schedule) return 'no schedule';
  if (!overview.schedule.paused) return 'active';
  return overview.enabled === false ? 'disabled' : 'paused';
}

export function nextRunText(
  overview: Pick<RotationOverview, 'nextRotationAt' | 'timezone'>,
  now: Date,
  withRelative: boolean,
): string {
  if (!overview.nextRotationAt) return '-';
  const when = overview.timezone
    ? formatLocalTime(overview.nextRotationAt, overview.timezone)
    : formatUtc(overview.nextRotationAt);
  return withRelative ? `${when} (${formatRelative(overview.nextRotationAt, now)})` : when;
}

export function registerListCommand(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description(
      'list the rotations that have a schedule: interval, time, state, next run, last outcome, active key',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { client } = await ctx.temporal();
      const now = ctx.now();
      const overviews = await listRotationOverviews(client, now);
      if (options.json) {
        ctx.out.json(overviews);
        return;
      }
      if (overviews.length === 0) {
        ctx.out.error('No rotation schedules yet; create them with `key-rotator apply -f rotations.yaml`.');
        return;
      }
      ctx.out.table(
        [
          { header: 'NAME', value: (o) => o.name },
          { header: 'EVERY', value: (o) => (o.intervalDays === null ? '?' : `${o.intervalDays}d`) },
          { header: 'AT', value: (o) => (o.rotateAt ? `${o.rotateAt} ${o.timezone}` : '?') },
          { header: 'STATE', value: scheduleStateOf },
          { header: 'NEXT ROTATION', value: (o) => nextRunText(o, now, ctx.out.isTTY) },
          { header: 'LAST OUTCOME', value: (o) => o.lastRun?.outcome ?? '-' },
          { header: 'ACTIVE KEY', value: (o) => o.activeKeyLabel ?? '-' },
        ],
        overviews,
      );
    });
}
