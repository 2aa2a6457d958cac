/**
 * `key-rotator apply -f rotations.yaml [--dry-run] [--prune] [--policy FILE]`: makes the schedules
 * match the file. The whole file and (with a worker policy) what the worker would refuse are checked
 * before anything is read from or written to Temporal; then the plan is printed and carried out
 * (unless --dry-run). The credentials the file names (management key, destination credentials) are
 * read by the worker, not here, so they are only looked for with --check-env (run where the worker runs).
 */
import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { executeApplyPlan, planApply, type PlanAction, type PlanEntry } from '../schedules/apply-plan.js';
import type { FieldChange } from '../schedules/deep-diff.js';
import { describeCarryOverSettings } from '../../workflows/carry-over-summary.js';
import { rotationTaskQueue } from '../workflow-names.js';
import { loadCheckedConfig, type ConfigCheckOptions } from './validate.js';

interface ApplyOptions extends ConfigCheckOptions {
  dryRun?: boolean;
  prune?: boolean;
  json?: boolean;
}

const SYMBOL: Record<PlanAction, string> = {
  create: '+ create',
  update: '~ update',
  replace: '± replace',
  unchanged: '= unchanged',
  delete: '- delete',
  'keep-orphan': '! not in file',
};

function shortValue(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeChange(change: FieldChange): string {
  if (change.from === undefined) return `${change.field} (added)`;
  if (change.to === undefined) return `${change.field} (removed)`;
  return `${change.field}: ${shortValue(change.from)} → ${shortValue(change.to)}`;
}

export function describePlanEntry(entry: PlanEntry): string[] {
  const head = `${SYMBOL[entry.action]}  ${entry.name}`;
  const lines: string[] = [];
  if (entry.action === 'create' && entry.desired) {
    const { schedule } = entry.desired.rotation;
    const paused = entry.desired.state.paused ? '; paused: enabled is false' : '';
    lines.push(
      `${head}  (every ${schedule.intervalDays} day(s) at ${schedule.rotateAt} ${schedule.timezone}${paused})`,
    );
  } else if (entry.action === 'keep-orphan') {
    lines.push(`${head}  (use --prune to delete)`);
  } else lines.push(head);
  for (const change of entry.changes) lines.push(`      ${describeChange(change)}`);
  for (const note of entry.notes) lines.push(`      note: ${note}`);
  return lines;
}

export function registerApplyCommand(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('create, update or delete the rotation schedules so that they match the rotations file')
    .requiredOption('-f, --file <path>', 'the rotations file (YAML or JSON)')
    .option('--dry-run', 'print the plan, change nothing')
    .option('--prune', 'delete schedules of rotations that are not in the file')
    .option(
      '--check-env',
      'also check that the credentials the file names (management key, destination credentials) exist here; ' +
        'only useful where the worker runs, since the worker reads them, not this command',
    )
    // The check used to run by default and this turned it off: still accepted so that scripts keep working.
    .addOption(new Option('--no-env-check').hideHelp())
    .option(
      '--policy <file>',
      "also check the rotations against this worker policy, the worker's limits (default: $KEY_ROTATOR_POLICY)",
    )
    .option('--json', 'print the plan as JSON')
    .action(async (options: ApplyOptions) => {
      const { config } = await loadCheckedConfig(options, ctx);
      const { client, address, namespace } = await ctx.temporal();
      const taskQueue = rotationTaskQueue(ctx.env);
      const plan = await planApply(client, config, { prune: options.prune, taskQueue });
      const changing = plan.filter((e) => e.action !== 'unchanged' && e.action !== 'keep-orphan');

      if (!options.json) {
        ctx.out.line(`Plan for ${options.file} (namespace ${namespace} at ${address}):`);
        for (const entry of plan) for (const line of describePlanEntry(entry)) ctx.out.line(line);
        if (plan.length === 0) ctx.out.line('(no rotations in the file and no schedules in Temporal)');
        if (options.dryRun)
          for (const r of config.rotations)
            ctx.out.line(`  ${r.name} carries over: ${describeCarryOverSettings(r)}`);
      }
      if (!options.dryRun && changing.length > 0) await executeApplyPlan(client, plan, taskQueue);

      const count = (action: PlanAction) => plan.filter((e) => e.action === action).length;
      const summary = {
        created: count('create'),
        updated: count('update') + count('replace'),
        deleted: count('delete'),
        unchanged: count('unchanged'),
        notInFile: count('keep-orphan'),
      };
      if (options.json) {
        ctx.out.json({
          file: options.file,
          namespace,
          dryRun: options.dryRun === true,
          applied: !options.dryRun,
          summary,
          plan: plan.map(({ action, name, changes, notes }) => ({ action, name, changes, notes })),
          carryOver: Object.fromEntries(config.rotations.map((r) => [r.name, describeCarryOverSettings(r)])),
        });
      } else if (options.dryRun) {
        ctx.out.line(`Dry run: nothing changed (${changing.length} change(s) pending).`);
      } else {
        ctx.out.line(
          `Applied: ${summary.created} created, ${summary.updated} updated, ${summary.deleted} deleted, ` +
            `${summary.unchanged} unchanged${summary.notInFile ? `, ${summary.notInFile} not in file (kept)` : ''}.`,
        );
      }
    });
}
