/**
 * Asks the real Temporal server when a rotation's schedule fires around daylight-saving switches:
 * the calendar spec is evaluated in the rotation's zone, so 03:00 stays 03:00 local time, and our
 * own nextRotationTime agrees with the server.
 */
import type { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextRotationTime } from '../../src/config/rotation-due.js';
import { parseWallTime, scheduleActionTimes } from '../../src/fields/zoned-time.js';
import { rotationSchema } from '../../src/config/schema.js';
import { rotationScheduleOptions } from '../../src/client/schedules/rotation-schedule.js';
import { rotationScheduleId } from '../../src/workflow-contract/messages.js';
import { connectCliTestClient, uniqueName } from '../support/cli.js';
import { testNamespace } from '../support/temporal.js';

let client: Client;
let close: () => Promise<void>;
const created: string[] = [];

beforeAll(async () => {
  ({ client, close } = await connectCliTestClient());
});
afterAll(async () => {
  for (const name of created) await client.schedule.getHandle(rotationScheduleId(name)).delete();
  await close();
});

async function createSchedule(timezone: string, rotateAt: string): Promise<string> {
  const name = uniqueName('dst');
  const rotation = rotationSchema.parse({
    name,
    openrouter: { key: { name } },
    schedule: { intervalDays: 1, rotateAt, timezone },
    destinations: [{ type: 'file', path: `${name}.env` }],
  });
  // Paused: the server still answers which times match, and nothing runs.
  await client.schedule.create(rotationScheduleOptions(rotation, 'dst-test', { paused: true, note: 'test' }));
  created.push(name);
  return name;
}

async function matchingTimes(name: string, from: string, to: string): Promise<string[]> {
  const response = await client.workflowService.listScheduleMatchingTimes({
    namespace: testNamespace(),
    scheduleId: rotationScheduleId(name),
    startTime: msToTs(Date.parse(from)),
    endTime: msToTs(Date.parse(to)),
  });
  return (response.startTime ?? []).map((t) => new Date(Number(t.seconds) * 1000).toISOString());
}

function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

describe('a rotation schedule across daylight-saving switches (real server)', () => {
  it('fires at 03:00 Berlin time every day: 02:00Z in winter, 01:00Z in summer', async () => {
    const name = await createSchedule('Europe/Berlin', '03:00');
    const spring = await matchingTimes(name, '2027-03-26T00:00:00Z', '2027-03-31T00:00:00Z');
    expect(spring).toEqual([
      '2027-03-26T02:00:00.000Z',
      '2027-03-27T02:00:00.000Z',
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T01:00:00.000Z',
      '2027-03-30T01:00:00.000Z',
    ]);
    const autumn = await matchingTimes(name, '2027-10-29T00:00:00Z', '2027-11-03T00:00:00Z');
    expect(autumn).toEqual([
      '2027-10-29T01:00:00.000Z',
      '2027-10-30T01:00:00.000Z',
      '2027-10-31T02:00:00.000Z',
      '2027-11-01T02:00:00.000Z',
      '2027-11-02T02:00:00.000Z',
    ]);
    for (const time of [...spring, ...autumn]) expect(localTime(time, 'Europe/Berlin')).toBe('03:00');
  });

  it('fires at 03:00 New York time across its switches', async () => {
    const name = await createSchedule('America/New_York', '03:00');
    const times = [
      ...(await matchingTimes(name, '2027-03-13T00:00:00Z', '2027-03-16T00:00:00Z')),
      ...(await matchingTimes(name, '2027-11-06T00:00:00Z', '2027-11-09T00:00:00Z')),
    ];
    expect(times).toEqual([
      '2027-03-13T08:00:00.000Z',
      '2027-03-14T07:00:00.000Z',
      '2027-03-15T07:00:00.000Z',
      '2027-11-06T07:00:00.000Z',
      '2027-11-07T08:00:00.000Z',
      '2027-11-08T08:00:00.000Z',
    ]);
  });

  it('acts on the night clocks go back exactly when scheduleActionTimes says, a second time included', async () => {
    for (const [timezone, rotateAt, day, from, to, expected] of [
      // West of UTC: both 01:30s.
      [
        'America/New_York',
        '01:30',
        '2027-11-07',
        '2027-11-07T00:00:00Z',
        '2027-11-08T00:00:00Z',
        ['2027-11-07T05:30:00.000Z', '2027-11-07T06:30:00.000Z'],
      ],
      // East of UTC: a time in the hour before the repeated one acts again an hour later (02:30 CEST)...
      [
        'Europe/Berlin',
        '01:30',
        '2027-10-31',
        '2027-10-30T12:00:00Z',
        '2027-10-31T12:00:00Z',
        ['2027-10-30T23:30:00.000Z', '2027-10-31T00:30:00.000Z'],
      ],
      // ...and a time inside the repeated hour acts once, at its second occurrence.
      [
        'Europe/Berlin',
        '02:30',
        '2027-10-31',
        '2027-10-30T12:00:00Z',
        '2027-10-31T12:00:00Z',
        ['2027-10-31T01:30:00.000Z'],
      ],
      [
        'Australia/Sydney',
        '01:30',
        '2027-04-04',
        '2027-04-03T00:00:00Z',
        '2027-04-04T00:00:00Z',
        ['2027-04-03T14:30:00.000Z', '2027-04-03T15:30:00.000Z'],
      ],
    ] as const) {
      const name = await createSchedule(timezone, rotateAt);
      expect(await matchingTimes(name, from, to), `${rotateAt} ${timezone}`).toEqual(expected);
      const [year, month, date] = day.split('-').map(Number) as [number, number, number];
      const ours = scheduleActionTimes({ year, month, day: date }, parseWallTime(rotateAt), timezone);
      expect(
        ours.map((t) => t.toISOString()),
        `${rotateAt} ${timezone}`,
      ).toEqual(expected);
    }
  });

  it('agrees with nextRotationTime, also for a time that a spring-forward night skips', async () => {
    for (const [timezone, rotateAt, from, to] of [
      ['Europe/Berlin', '03:00', '2027-03-25T12:00:00Z', '2027-04-02T00:00:00Z'],
      ['Europe/Berlin', '02:30', '2027-03-25T12:00:00Z', '2027-04-02T00:00:00Z'],
      ['America/New_York', '03:00', '2027-11-03T12:00:00Z', '2027-11-10T00:00:00Z'],
      // Inside the hour that is repeated when clocks go back: the server acts once, at the later one.
      ['Europe/Berlin', '02:30', '2027-10-28T12:00:00Z', '2027-11-03T00:00:00Z'],
      ['Australia/Sydney', '02:30', '2027-04-01T12:00:00Z', '2027-04-07T00:00:00Z'],
    ] as const) {
      const name = await createSchedule(timezone, rotateAt);
      const server = await matchingTimes(name, from, to);
      // Daily (interval 1): each run's successor, as we compute it, is the server's next match.
      const ours: string[] = [];
      let now = new Date(from);
      for (let last: Date | undefined; ;) {
        const next = nextRotationTime({ lastRotatedAt: last, now, intervalDays: 1, timezone, rotateAt });
        if (next.getTime() > Date.parse(to)) break;
        ours.push(next.toISOString());
        last = new Date(next.getTime() + 5_000);
        now = last;
      }
      expect(ours, `${rotateAt} ${timezone}`).toEqual(server);
    }
  });
});
