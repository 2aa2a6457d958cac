/**
 * The end state a chaos run must reach: no workflow still running; per managed key, every
 * destination holds the same key, and it is a live key made by that key's rotations; at the
 * emulator, no live key beyond those (an old key not deleted, or an orphan: a key no destination
 * ever held, such as one whose create answer was lost).
 */
import type { Client } from '@temporalio/client';
import type { EmulatorStateSnapshot } from '../../src/emulator/server.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import type { ChaosDestinations } from './destinations.js';
import type { RotationRun } from './rotation-runner.js';
import type { Violations } from './violations.js';

export interface AuditInput {
  client: Client;
  names: readonly string[];
  destinations: ChaosDestinations;
  /** The emulator's state, read after the last rotation ended. */
  state: EmulatorStateSnapshot;
  /** Hashes of every key the monitor saw a destination hold during the run. */
  everHeld: ReadonlySet<string>;
  violations: Violations;
}

export interface AuditFigures {
  /** Live keys at the emulator at the end. */
  liveKeys: number;
  /** Workflows still running at the end. */
  openWorkflows: number;
}

/**
 * Every rotation asked for must have finished, and succeeded. (One still running is found by
 * {@link auditEndState}, which lists the open workflows.)
 */
export function judgeRotations(input: {
  runs: readonly RotationRun[];
  asked: number;
  minutes: number;
  violations: Violations;
}): void {
  const { runs, violations } = input;
  const finished = runs.filter((r) => r.outcome !== 'unfinished' && r.outcome !== 'not-started');
  if (finished.length < input.asked) {
    violations.add(
      'shortfall',
      `${finished.length} of ${input.asked} rotations finished within ${input.minutes} min`,
    );
  }
  for (const run of runs) {
    if (run.outcome === 'not-started') {
      violations.add('rotation-unfinished', `${run.name}: a rotation never started`);
    } else if (run.outcome !== 'succeeded' && run.outcome !== 'unfinished') {
      violations.add(
        'rotation-not-succeeded',
        `${run.name} run ${run.runId?.slice(0, 8)}: ${run.outcome}: ${run.detail ?? ''}`,
      );
    }
  }
}

/** Keys the rotations of `name` create are named `<key name> (key-rotator <name> <run>)`. */
function madeBy(name: string, keyName: string): boolean {
  return keyName.includes(`(key-rotator ${name} `);
}

export async function auditEndState(input: AuditInput): Promise<AuditFigures> {
  const { violations, state } = input;
  let openWorkflows = 0;
  for await (const open of input.client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    openWorkflows += 1;
    violations.add(
      'rotation-unfinished',
      `${open.workflowId} run ${open.runId.slice(0, 8)} is still running`,
    );
  }

  const live = state.keys.filter((k) => !k.deleted);
  const heldNow = new Set<string>();
  const readings = await input.destinations.readAll(input.names);
  for (const name of input.names) {
    const values = new Set((readings.get(name) ?? []).map((r) => r.value));
    if (values.size !== 1) {
      violations.add(
        'destinations-disagree',
        `${name}: its destinations hold ${values.size} different values`,
      );
    }
    for (const value of values) if (value !== undefined) heldNow.add(hashOfKey(value));
    const [value] = values;
    const key = value === undefined ? undefined : live.find((k) => k.hash === hashOfKey(value));
    if (!key || !madeBy(name, key.name)) {
      violations.add(
        'live-key-mismatch',
        `${name}: its destinations hold ${key ? `${key.label}, not made by its rotations` : 'no live key'}`,
      );
    }
  }
  for (const key of live) {
    if (heldNow.has(key.hash)) continue;
    if (input.everHeld.has(key.hash)) {
      violations.add('old-key-alive', `${key.label} (${key.name}) was replaced but is still live`);
    } else {
      violations.add('orphan', `${key.label} (${key.name}) is live but no destination ever held it`);
    }
  }
  return { liveKeys: live.length, openWorkflows };
}
