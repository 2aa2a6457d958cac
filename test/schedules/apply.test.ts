/**
 * `key-rotator apply` through the real binary against the real dev server, in a namespace of its
 * own (so that --prune cannot touch other tests' schedules).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { listRotationScheduleNames } from '../../src/client/schedules/current-schedule.js';
import { rotationSchema } from '../../src/config/schema.js';
import {
  rotationNameKey,
  rotationReasonKey,
  rotationScheduleId,
} from '../../src/workflow-contract/messages.js';
import {
  connectCliTestClient,
  createTestNamespace,
  jsonOf,
  runKeyRotator,
  scheduleExists,
  uniqueName,
} from '../support/cli.js';
import { waitFor } from '../support/net.js';

let dir: string;
let namespace: string;
let client: Client;
let close: () => Promise<void>;
const alpha = uniqueName('alpha');
const beta = uniqueName('beta');

function rotation(name: string, schedule: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    name,
    openrouter: { managementKeyEnv: 'TEST_MANAGEMENT_KEY', key: { name: `${name} key`, limit: 10 } },
    schedule: { intervalDays: 30, rotateAt: '03:00', timezone: 'Europe/Berlin', ...schedule },
    destinations: [{ type: 'file', path: `secrets/${name}.env` }],
    ...extra,
  };
}

async function writeConfig(rotations: unknown[]): Promise<string> {
  const file = path.join(dir, `rotations-${rotations.length}-${Date.now()}.yaml`);
  await writeFile(file, stringify({ version: 1, rotations }));
  return file;
}

function apply(file: string, ...flags: string[]) {
  return runKeyRotator(['apply', '-f', file, ...flags], {
    env: { TEMPORAL_NAMESPACE: namespace, TEST_MANAGEMENT_KEY: 'not-used-by-apply' },
  });
}

async function describeSchedule(name: string) {
  return client.schedule.getHandle(rotationScheduleId(name)).describe();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'schedules-apply-'));
  namespace = await createTestNamespace('apply');
  ({ client, close } = await connectCliTestClient(namespace));
});
afterAll(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

describe('key-rotator apply', () => {
  it('creates one schedule per rotation: daily at rotateAt in its zone, SKIP, one-day catch-up, encrypted snapshot', async () => {
    const file = await writeConfig([
      rotation(alpha),
      rotation(beta, { intervalDays: 1, enabled: false, timezone: 'UTC' }),
    ]);
    const run = await apply(file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`+ create  ${alpha}  (every 30 day(s) at 03:00 Europe/Berlin)`);
    expect(run.stdout).toContain(
      `+ create  ${beta}  (every 1 day(s) at 03:00 UTC; paused: enabled is false)`,
    );
    expect(run.stdout).toContain('Applied: 2 created, 0 updated, 0 deleted, 0 unchanged.');

    const schedule = await describeSchedule(alpha);
    expect(schedule.spec.timezone).toBe('Europe/Berlin');
    expect(schedule.spec.calendars).toHaveLength(1);
    expect(schedule.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 3, end: 3, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
    });
    expect(schedule.policies).toEqual({
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: 86_400_000,
      pauseOnFailure: false,
    });
    expect(schedule.state.paused).toBe(false);
    expect(schedule.memo ?? {}).toEqual({});
    expect(schedule.action).toMatchObject({
      workflowType: 'scheduledRotationWorkflow',
      workflowId: `rotation-schedule-${alpha}`,
      taskQueue: 'openrouter-key-rotation',
    });
    expect(schedule.action.args).toEqual([
      { rotation: rotationSchema.parse(rotation(alpha)), options: { reason: 'scheduled', onlyIfDue: true } },
    ]);
    const attributes = schedule.action.typedSearchAttributes;
    expect(attributes && 'get' in attributes && attributes.get(rotationNameKey)).toBe(alpha);
    expect(attributes && 'get' in attributes && attributes.get(rotationReasonKey)).toBe('scheduled');
    // Only ciphertext reaches the server.
    const payload = schedule.raw.schedule?.action?.startWorkflow?.input?.payloads?.[0];
    expect(new TextDecoder().decode(payload?.metadata?.encoding ?? new Uint8Array())).toBe(
      'binary/encrypted',
    );
    expect(Buffer.from(payload?.data ?? []).toString('latin1')).not.toContain(alpha);

    expect((await describeSchedule(beta)).state).toMatchObject({ paused: true });
  });

  it('changes nothing on a second apply of the same file', async () => {
    const file = await writeConfig([
      rotation(alpha),
      rotation(beta, { intervalDays: 1, enabled: false, timezone: 'UTC' }),
    ]);
    const run = await apply(file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`= unchanged  ${alpha}`);
    expect(run.stdout).toContain(`= unchanged  ${beta}`);
    expect(run.stdout).toContain('Applied: 0 created, 0 updated, 0 deleted, 2 unchanged.');
  });

  it('shows a changed field with --dry-run and changes nothing', async () => {
    const before = await describeSchedule(alpha);
    const file = await writeConfig([
      rotation(alpha, { intervalDays: 7 }),
      rotation(beta, { intervalDays: 1, enabled: false, timezone: 'UTC' }),
    ]);
    const run = await apply(file, '--dry-run');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`~ update  ${alpha}\n      schedule.intervalDays: 30 → 7\n`);
    expect(run.stdout).toContain('Dry run: nothing changed (1 change(s) pending).');
    const after = await describeSchedule(alpha);
    expect(after.info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);
    expect(after.action.args).toEqual(before.action.args);
  });

  it('updates a changed schedule in place, naming the changed fields', async () => {
    const before = await describeSchedule(alpha);
    const file = await writeConfig([
      rotation(alpha, { intervalDays: 7, rotateAt: '04:30' }, { gracePeriod: '2h' }),
      rotation(beta, { intervalDays: 1, enabled: true, timezone: 'UTC' }),
    ]);
    const run = await runKeyRotator(['apply', '-f', file, '--json'], {
      env: { TEMPORAL_NAMESPACE: namespace, TEST_MANAGEMENT_KEY: 'x' },
    });
    expect(run.code, run.stderr).toBe(0);
    const result = jsonOf<{
      summary: Record<string, number>;
      plan: { action: string; name: string; changes: unknown[] }[];
    }>(run);
    expect(result.summary).toMatchObject({ created: 0, updated: 2, deleted: 0, unchanged: 0 });
    expect(result.plan).toEqual([
      {
        action: 'update',
        name: alpha,
        changes: [
          { field: 'schedule.intervalDays', from: 30, to: 7 },
          { field: 'schedule.rotateAt', from: '03:00', to: '04:30' },
          { field: 'gracePeriod', from: '24h', to: '2h' },
        ],
        notes: [],
      },
      {
        action: 'update',
        name: beta,
        changes: [
          { field: 'schedule.enabled', from: false, to: true },
          { field: 'state.paused', from: true, to: false },
        ],
        notes: [],
      },
    ]);
    const after = await describeSchedule(alpha);
    expect(after.info.createdAt).toEqual(before.info.createdAt);
    expect(after.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 4, end: 4, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    expect((await describeSchedule(beta)).state.paused).toBe(false);
  });

  it('keeps a schedule paused by `key-rotator pause` across apply', async () => {
    const paused = await runKeyRotator(['pause', alpha, '--reason', 'change freeze'], {
      env: { TEMPORAL_NAMESPACE: namespace },
    });
    expect(paused.code, paused.stderr).toBe(0);
    const file = await writeConfig([
      rotation(alpha, { intervalDays: 7, rotateAt: '04:30' }, { gracePeriod: '2h' }),
      rotation(beta, { intervalDays: 1, timezone: 'UTC' }),
    ]);
    const run = await apply(file);
    expect(run.stdout).toContain(
      `= unchanged  ${alpha}\n      note: paused by key-rotator pause: change freeze`,
    );
    expect((await describeSchedule(alpha)).state).toEqual({
      paused: true,
      note: 'paused by key-rotator pause: change freeze',
    });
    expect((await runKeyRotator(['resume', alpha], { env: { TEMPORAL_NAMESPACE: namespace } })).code).toBe(0);
    expect((await describeSchedule(alpha)).state.paused).toBe(false);
  });

  it('lists schedules that are not in the file, and deletes them only with --prune', async () => {
    await waitFor(async () => (await listRotationScheduleNames(client)).includes(beta), {
      what: 'schedule in visibility',
    });
    const file = await writeConfig([
      rotation(alpha, { intervalDays: 7, rotateAt: '04:30' }, { gracePeriod: '2h' }),
    ]);

    const kept = await apply(file);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain(`! not in file  ${beta}  (use --prune to delete)`);
    expect(await scheduleExists(client, beta)).toBe(true);

    const dryRun = await apply(file, '--prune', '--dry-run');
    expect(dryRun.stdout).toContain(`- delete  ${beta}`);
    expect(await scheduleExists(client, beta)).toBe(true);

    const pruned = await apply(file, '--prune');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`- delete  ${beta}`);
    expect(pruned.stdout).toContain('Applied: 0 created, 0 updated, 1 deleted, 1 unchanged.');
    expect(await scheduleExists(client, beta)).toBe(false);
    expect(await scheduleExists(client, alpha)).toBe(true);
  });
});
