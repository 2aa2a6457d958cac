/**
 * `key-rotator history <name> [--limit N] [--json]` and `history --all`: past rotations, newest
 * first. With --json, each run is an audit record (see docs/events.md, "Audit trail"): who or what
 * started it, the signals it got, every step with its times, the outcome and the keys by label and hash.
 */
import type { Command } from 'commander';
import { WORKFLOW_TYPES } from '../workflow-names.js';
import { rotationScheduleId } from '../../workflow-contract/messages.js';
import type { CliContext } from '../cli-context.js';
import { UsageError, RotationNotFoundError } from '../cli-errors.js';
import { formatUtc } from '../output/format-time.js';
import { auditRecordOf, type AuditRecord, type UnreadableAuditRecord } from '../rotations/rotation-audit.js';
import { listRotationRuns, toRotationRun, type RotationRun } from '../rotations/rotation-runs.js';
import { readRotationSchedule } from '../schedules/current-schedule.js';
import { checkRotationName, positiveInteger } from './arguments.js';

export function registerHistoryCommand(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description(
      'list past rotations of a key (or of all keys with --all) from Temporal: start, end, outcome, new key label, reason; --json gives the audit trail',
    )
    .argument('[name]', 'the rotation name')
    .option('--all', 'every rotation, not one')
    .option('--limit <n>', 'at most this many, newest first', positiveInteger, 20)
    .option('--json', 'print JSON: one audit record per run')
    .action(
      async (nameArgument: string | undefined, options: { limit: number; json?: boolean; all?: boolean }) => {
        if (Boolean(options.all) === (nameArgument !== undefined)) {
          throw new UsageError('give either a rotation name or --all');
        }
        const { client } = await ctx.temporal();
        let runs: RotationRun[];
        if (nameArgument === undefined) {
          runs = [];
          for await (const info of client.workflow.list({
            query: `WorkflowType = "${WORKFLOW_TYPES.rotation}"`,
            pageSize: Math.min(options.limit, 100),
          })) {
            runs.push(toRotationRun(info));
            if (runs.length >= options.limit) break;
          }
          runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
        } else {
          const name = checkRotationName(nameArgument);
          runs = await listRotationRuns(client, name, { limit: options.limit });
          // Same verdict as `status`: a name with neither a schedule nor a past rotation does not exist.
          if (runs.length === 0 && (await readRotationSchedule(client, name)).state === 'missing') {
            throw new RotationNotFoundError(
              `no rotation named "${name}": there is no schedule ${rotationScheduleId(name)} and no past rotation; ` +
                '`key-rotator list` shows the rotations that exist',
            );
          }
        }
        if (options.json) {
          // One run that cannot be read (encrypted with a codec key no longer in the keyring) is
          // marked in its record instead of failing the export of every other run.
          const records: (AuditRecord | UnreadableAuditRecord)[] = [];
          const unreadable: string[] = [];
          for (const run of runs) {
            try {
              records.push(await auditRecordOf(client, run));
            } catch (err) {
              const readError = `its history could not be decoded (${err instanceof Error ? err.message.trim() : String(err)}); was it encrypted with a codec key that is no longer in KEY_ROTATOR_CODEC_KEY?`;
              unreadable.push(run.runId);
              records.push({ ...run, rotation: run.workflowId.replace(/^rotation-/, ''), readError });
            }
          }
          if (unreadable.length > 0)
            ctx.out.error(
              `${unreadable.length} of ${runs.length} runs could not be decoded; their records carry readError`,
            );
          ctx.out.json(records);
          return;
        }
        if (runs.length === 0) {
          ctx.out.error(nameArgument ? `No rotations of ${nameArgument} yet.` : 'No rotations yet.');
          return;
        }
        ctx.out.table(
          [
            ...(nameArgument
              ? []
              : [{ header: 'ROTATION', value: (r: RotationRun) => r.workflowId.replace(/^rotation-/, '') }]),
            { header: 'STARTED', value: (r) => formatUtc(r.startedAt) },
            { header: 'ENDED', value: (r) => (r.endedAt ? formatUtc(r.endedAt) : '-') },
            { header: 'OUTCOME', value: (r) => r.outcome },
            { header: 'NEW KEY', value: (r) => r.newKeyLabel ?? '-' },
            { header: 'REASON', value: (r) => r.reason ?? '-' },
            { header: 'RUN', value: (r) => r.runId },
          ],
          runs,
        );
      },
    );
}
