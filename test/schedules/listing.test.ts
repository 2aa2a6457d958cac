/**
 * What `list` and `apply` read lives on the schedules: apply's config digest and the worker's
 * record of each run, read from one schedule listing. Against the shared dev server with a real
 * worker, the OpenRouter emulator and file destinations; Temporal calls are counted at the client.
 */
import { Client, type ScheduleDescription } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduleActivities } from '../../src/activities/schedule-activities.js';
import { listRotationOverviews, type ListedRotation } from '../../src/client/rotations/rotation-overview.js';
import { executeApplyPlan, planApply, type PlanEntry } from '../../src/client/schedules/apply-plan.js';
import { listRotationSchedules } from '../../src/client/schedules/current-schedule.js';
import { configDigestOf, rotationScheduleOptions } from '../../src/client/schedules/rotation-schedule.js';
import { configSchema, type RotationConfig } from '../../src/config/schema.js';
import { labelOfKey } from '../../src/errors/redact.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import {
  rotationConfigDigestKey,
  rotationIntervalDaysKey,
  rotationLastRotatedAtKey,
  rotationNewKeyLabelKey,
  rotationOutcomeKey,
  rotationReasonKey,
  rotationScheduleId,
} from '../../src/workflow-contract/messages.js';
import { uniqueName } from '../support/cli.js';
import { waitFor } from '../support/net.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
let workers: RotationWorkers;
let running: Promise<void>;

beforeAll(async () => {
  h = await createRotationHarness();
  workers = await h.worker();
  running = workers.run();
});
afterAll(async () => {
  workers?.shutdown();
  await running;
  await h?.close();
});

/** A client on the harness's connection that counts the WorkflowService calls it makes. */
function countingClient(): { client: Client; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const target = h.client.connection;
  const service = new Proxy(target.workflowService, {
    get(service, method, receiver) {
      const value: unknown = Reflect.get(service, method, receiver);
      if (typeof value !== 'function' || typeof method !== 'string') return value;
      return (...args: unknown[]) => {
        calls.set(method, (calls.get(method) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(service, args);
      };
    },
  });
  const connection = new Proxy(target, {
    get: (conn, prop, receiver) =>
      prop === 'workflowService' ? service : (Reflect.get(conn, prop, receiver) as unknown),
  });
  return {
    client: new Client({ connection, namespace: h.client.options.namespace, dataConverter: h.dataConverter }),
    calls,
  };
}

function config(rotations: RotationConfig[]) {
  return configSchema.parse({ version: 1, rotations });
}

async function apply(rotations: RotationConfig[], client: Client = h.client): Promise<PlanEntry[]> {
  const plan = await planApply(client, config(rotations), { taskQueue: h.taskQueue });
  await executeApplyPlan(client, plan, h.taskQueue);
  return plan;
}

/** Until the schedule listing (eventually consistent) shows each rotation's current digest. */
async function untilListedDigests(rotations: RotationConfig[]): Promise<void> {
  await waitFor(
    async () => {
      const listed = await listRotationSchedules(h.client);
      return rotations.every(
        (r) =>
          listed.get(r.name)?.typedSearchAttributes?.get(rotationConfigDigestKey) ===
          configDigestOf(rotationScheduleOptions(r, h.taskQueue)),
      );
    },
    { what: 'the digests in the schedule listing' },
  );
}

/** The schedule's description once `done` holds (search attributes follow an update shortly). */
async function describedUntil(
  name: string,
  done: (description: ScheduleDescription) => boolean,
): Promise<ScheduleDescription> {
  return waitFor(
    async () => {
      const description = await h.client.schedule.getHandle(rotationScheduleId(name)).describe();
      return done(description) ? description : undefined;
    },
    { what: `the schedule of ${name} as expected` },
  );
}

function actions(plan: PlanEntry[], names: string[]): Record<string, string> {
  return Object.fromEntries(plan.filter((e) => names.includes(e.name)).map((e) => [e.name, e.action]));
}

async function listed(name: string, until: (entry: ListedRotation) => boolean): Promise<ListedRotation> {
  return waitFor(
    async () => {
      const entry = (await listRotationOverviews(h.client, new Date())).find((o) => o.name === name);
      return entry && until(entry) ? entry : undefined;
    },
    { what: `list showing ${name} as expected`, timeoutMs: 60_000 },
  );
}

describe('apply plans from the schedule listing', () => {
  it('applies an unchanged file with one listing and no describe or update; a change describes only that schedule', async () => {
    const rotations = ['one', 'two', 'three'].map((n) => h.rotation(uniqueName(`unchanged-${n}`)));
    const names = rotations.map((r) => r.name);
    await apply(rotations);
    await untilListedDigests(rotations);

    const counted = countingClient();
    const plan = await apply(rotations, counted.client);
    expect(actions(plan, names)).toEqual(Object.fromEntries(names.map((n) => [n, 'unchanged'])));
    expect(counted.calls.get('listSchedules')).toBe(1);
    expect(counted.calls.get('describeSchedule')).toBeUndefined();
    expect(counted.calls.get('updateSchedule')).toBeUndefined();
    expect(counted.calls.get('createSchedule')).toBeUndefined();

    const changed = [{ ...rotations[0]!, schedule: { ...rotations[0]!.schedule, intervalDays: 14 } }];
    const recount = countingClient();
    const next = await apply([...changed, ...rotations.slice(1)], recount.client);
    expect(actions(next, names)).toEqual({
      [names[0]!]: 'update',
      [names[1]!]: 'unchanged',
      [names[2]!]: 'unchanged',
    });
    expect(next.find((e) => e.name === names[0])?.changes).toContainEqual({
      field: 'schedule.intervalDays',
      from: 7,
      to: 14,
    });
    // One describe to plan it (the diff shown), one inside the update (to keep the worker's record).
    expect(recount.calls.get('describeSchedule')).toBe(2);
    expect(recount.calls.get('updateSchedule')).toBe(1);
    await describedUntil(names[0]!, (d) => d.typedSearchAttributes.get(rotationIntervalDaysKey) === '14');
  });

  it('rewrites a schedule written by an older apply (no digest) once, then plans it from the listing', async () => {
    const rotation = h.rotation(uniqueName('pre-digest'), { schedule: { intervalDays: 3, enabled: false } });
    const { typedSearchAttributes: _written, ...older } = rotationScheduleOptions(rotation, h.taskQueue);
    await h.client.schedule.create(older);
    // list shows what the older schedule carries: no interval, disabled by its note.
    await listed(
      rotation.name,
      (o) => o.enabled === false && o.intervalDays === null && o.rotateAt === '03:00',
    );

    const first = await apply([rotation]);
    const entry = first.find((e) => e.name === rotation.name);
    expect(entry?.action).toBe('update');
    expect(entry?.changes).toEqual([]);
    expect(entry?.notes.join(' ')).toContain('written by an older apply');
    await untilListedDigests([rotation]);
    await listed(rotation.name, (o) => o.enabled === false && o.intervalDays === 3);

    const counted = countingClient();
    const second = await apply([rotation], counted.client);
    expect(actions(second, [rotation.name])).toEqual({ [rotation.name]: 'unchanged' });
    expect(counted.calls.get('describeSchedule')).toBeUndefined();
  });
});

describe("the worker's record of each run on the schedule", () => {
  it('is what list shows after a scheduled rotation, a rotation started like `rotate`, and a skipped scheduled run', async () => {
    const rotation = h.rotation(uniqueName('recorded'), {}, ['recorded.env']);
    await h.adoptKey(['recorded.env']);
    await apply([rotation]);
    const schedule = h.client.schedule.getHandle(rotationScheduleId(rotation.name));

    // The adopted key is 30 days old, so the scheduled run is due.
    await schedule.trigger();
    const afterScheduled = await listed(
      rotation.name,
      // Visibility may still list the closed run as running for a moment: wait for the record.
      (o) =>
        o.lastRun?.status === 'COMPLETED' &&
        o.lastRun.outcome === 'succeeded' &&
        o.lastRun.reason === 'scheduled' &&
        o.activeKeyLabel !== null,
    );
    const scheduledLabel = labelOfKey((await h.readKeyFrom('recorded.env'))!);
    expect(afterScheduled).toMatchObject({
      activeKeyLabel: scheduledLabel,
      lastRun: { status: 'COMPLETED', newKeyLabel: scheduledLabel },
      intervalDays: 7,
      enabled: true,
    });
    expect(Date.now() - Date.parse(afterScheduled.lastRotatedAt!)).toBeLessThan(10 * 60_000);

    const manual = await h.startRotation(rotation);
    const result = await manual.result();
    expect(result.outcome).toBe('succeeded');
    const afterManual = await listed(
      rotation.name,
      (o) =>
        o.lastRun?.status === 'COMPLETED' &&
        o.lastRun.reason === 'manual' &&
        o.activeKeyLabel === result.newKey?.label,
    );
    expect(afterManual).toMatchObject({
      lastRun: { outcome: 'succeeded', status: 'COMPLETED', newKeyLabel: result.newKey?.label },
      lastRotatedAt: new Date(result.newKey!.createdAt).toISOString(),
    });
    expect(afterManual.activeKeyLabel).not.toBe(scheduledLabel);
    expect(afterManual.nextRotationAt).not.toBeNull();

    // A scheduled run right after: not due, skipped; the active key stays the manual one.
    await schedule.trigger();
    const afterSkip = await listed(
      rotation.name,
      (o) => o.lastRun?.status === 'COMPLETED' && o.lastRun.outcome === 'skipped',
    );
    expect(afterSkip).toMatchObject({
      activeKeyLabel: result.newKey?.label,
      lastRotatedAt: afterManual.lastRotatedAt,
      lastRun: { reason: 'scheduled', status: 'COMPLETED' },
    });
  });

  it("leaves apply's digest and the schedule as they were, and apply keeps it when it updates the schedule", async () => {
    const rotation = h.rotation(uniqueName('kept'));
    await apply([rotation]);
    const before = await h.client.schedule.getHandle(rotationScheduleId(rotation.name)).describe();
    const { recordRotationOutcome } = createScheduleActivities({ client: h.client });

    await expect(
      recordRotationOutcome({
        rotation: rotation.name,
        outcome: 'succeeded',
        reason: 'manual',
        activeKeyLabel: 'sk-or-v1-abc...xyz',
        lastRotatedAt: '2026-11-27T10:00:00.000Z',
      }),
    ).resolves.toBe('recorded');
    // The scheduler applies an update after the call returns: its search attributes follow soon.
    const recorded = await describedUntil(
      rotation.name,
      (d) => d.typedSearchAttributes.get(rotationOutcomeKey) === 'succeeded',
    );
    expect(recorded.typedSearchAttributes.get(rotationNewKeyLabelKey)).toBe('sk-or-v1-abc...xyz');
    expect(recorded.typedSearchAttributes.get(rotationConfigDigestKey)).toBe(
      before.typedSearchAttributes.get(rotationConfigDigestKey),
    );
    expect(recorded.spec).toEqual(before.spec);
    expect(recorded.action).toEqual(before.action);
    expect(recorded.state).toEqual(before.state);
    await untilListedDigests([rotation]);
    expect(actions(await apply([rotation]), [rotation.name])).toEqual({ [rotation.name]: 'unchanged' });

    // A failed run later: the outcome changes, the active key does not.
    await recordRotationOutcome({ rotation: rotation.name, outcome: 'rolled-back', reason: 'scheduled' });
    await describedUntil(
      rotation.name,
      (d) => d.typedSearchAttributes.get(rotationOutcomeKey) === 'rolled-back',
    );
    const changed = { ...rotation, schedule: { ...rotation.schedule, rotateAt: '04:30' } };
    expect(actions(await apply([changed]), [rotation.name])).toEqual({ [rotation.name]: 'update' });
    const digest = configDigestOf(rotationScheduleOptions(changed, h.taskQueue));
    const updated = await describedUntil(
      rotation.name,
      (d) => d.typedSearchAttributes.get(rotationConfigDigestKey) === digest,
    );
    expect(updated.spec.calendars?.[0]?.hour).toEqual([{ start: 4, end: 4, step: 1 }]);
    expect(updated.typedSearchAttributes.get(rotationOutcomeKey)).toBe('rolled-back');
    expect(updated.typedSearchAttributes.get(rotationReasonKey)).toBe('scheduled');
    expect(updated.typedSearchAttributes.get(rotationNewKeyLabelKey)).toBe('sk-or-v1-abc...xyz');
    expect(updated.typedSearchAttributes.get(rotationLastRotatedAtKey)).toBe('2026-11-27T10:00:00.000Z');
  });

  it('writes nothing for a rotation that has no schedule', async () => {
    const { recordRotationOutcome } = createScheduleActivities({ client: h.client });
    await expect(
      recordRotationOutcome({ rotation: uniqueName('never-applied'), outcome: 'failed' }),
    ).resolves.toBe('no-schedule');
  });
});
