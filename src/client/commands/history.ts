/** `key-rotator history <name> [--limit N] [--json]`: past rotations of a key, newest first. */
import type { Command } from 'commander';
import { rotationScheduleId } from '../../workflows/messages.js';
import type { CliContext } from '../cli-context.js';
import { RotationNotFoundError } from '../cli-errors.js';
import { formatUtc } from '../output/format-time.js';
import { listRotationRuns } from '../rotations/rotation-runs.js';
import { readRotationSchedule } from '../schedules/current-schedule.js';
import { checkRotationName, positiveInteger } from './arguments.js';

export function registerHistoryCommand(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description('list past rotations of a key from Temporal: start, end, outcome, new key label, reason')
    .argument('<name>', 'the rotation name')
    .option('--limit <n>', 'at most this many, newest first', positiveInteger, 20)
    .option('--json', 'print JSON')
    .action(async (nameArgument: string, options: { limit: number; json?: boolean }) => {
      const name = checkRotationName(nameArgument);
      const { client } = await ctx.temporal();
      const runs = await listRotationRuns(client, name, { limit: options.limit });
      // Same verdict as `status`: a name with neither a schedule nor a past rotation does not exist.
      if (runs.length === 0 && (await readRotationSchedule(client, name)).state === 'missing') {
        throw new RotationNotFoundError(
          `no rotation named "${name}": there is no schedule ${rotationScheduleId(name)} and no past rotation; ` +
            '`key-rotator list` shows the rotations that exist',
        );
      }
      if (options.json) {
        ctx.out.json(runs);
        return;
      }
      if (runs.length === 0) {
        ctx.out.error(`No rotations of ${name} yet.`);
        return;
      }
      ctx.out.table(
        [
          { header: 'STARTED', value: (r) => formatUtc(r.startedAt) },
          { header: 'ENDED', value: (r) => (r.endedAt ? formatUtc(r.endedAt) : '-') },
          { header: 'OUTCOME', value: (r) => r.outcome },
          { header: 'NEW KEY', value: (r) => r.newKeyLabel ?? '-' },
          { header: 'REASON', value: (r) => r.reason ?? '-' },
          { header: 'RUN', value: (r) => r.runId },
        ],
        runs,
      );
    });
}
