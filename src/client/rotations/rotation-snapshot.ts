/**
 * The configuration a manual rotation runs with: the rotation from a rotations file (`-f`), or the
 * snapshot the schedule holds (what was last applied).
 */
import type { Client } from '@temporalio/client';
import { findEnvironmentProblems } from '../../policy/check-environment.js';
import { ConfigFileError } from '../../config-files/config-file-error.js';
import { loadConfig } from '../../config/load-config.js';
import type { RotationConfig } from '../../config/schema.js';
import { rotationScheduleId } from '../../workflow-contract/messages.js';
import { RotationNotFoundError, UsageError } from '../cli-errors.js';
import { readRotationSchedule } from '../schedules/current-schedule.js';

export interface SnapshotOptions {
  /** A rotations file to take the configuration from instead of the applied schedule. */
  file?: string;
  /** Check the credentials it names exist here. */
  envCheck: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export async function rotationFromFile(
  file: string,
  name: string,
  options: SnapshotOptions,
): Promise<RotationConfig> {
  const config = await loadConfig(file);
  const index = config.rotations.findIndex((r) => r.name === name);
  const rotation = config.rotations[index];
  if (!rotation) {
    const known = config.rotations.map((r) => r.name).join(', ') || 'none';
    throw new RotationNotFoundError(`no rotation named "${name}" in ${file} (it defines: ${known})`);
  }
  if (options.envCheck) {
    const prefix = `rotations[${index}]`;
    const issues = findEnvironmentProblems(config, options.env, { cwd: options.cwd }).filter((i) =>
      i.path.startsWith(prefix),
    );
    if (issues.length > 0) throw new ConfigFileError(file, issues);
  }
  return rotation;
}

export async function appliedRotation(
  client: Client,
  name: string,
  options: SnapshotOptions,
): Promise<RotationConfig> {
  const schedule = await readRotationSchedule(client, name);
  if (schedule.state === 'missing') {
    throw new RotationNotFoundError(
      `no rotation named "${name}" has been applied (there is no schedule ${rotationScheduleId(name)}); ` +
        'run `key-rotator apply -f rotations.yaml` first, or pass -f rotations.yaml',
    );
  }
  if (schedule.state === 'undecodable' || !schedule.rotation) {
    const why = schedule.state === 'undecodable' ? schedule.reason : 'it holds no rotation configuration';
    throw new UsageError(
      `cannot read the applied configuration of "${name}" (${why}); pass -f rotations.yaml`,
    );
  }
  if (options.envCheck) {
    const issues = findEnvironmentProblems({ version: 1, rotations: [schedule.rotation] }, options.env, {
      cwd: options.cwd,
    });
    if (issues.length > 0) throw new ConfigFileError(`the applied configuration of "${name}"`, issues);
  }
  return schedule.rotation;
}
