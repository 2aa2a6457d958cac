import { describe, expect, it } from 'vitest';
import { skippedDaysNote } from '../../src/client/schedules/apply-plan.js';
import { isRotationDue, nextRotationTime } from '../../src/config/rotation-due.js';
import { rotationSchema } from '../../src/config/schema.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';

/** isRotationDue at `now` for a rotation last done at `last`. */
function due(last: string | undefined, now: string, intervalDays: number, timezone = BERLIN): boolean {
  return isRotationDue({ lastRotatedAt: last, now, intervalDays, timezone, rotateAt: '03:00' });
}

function next(
  last: string | undefined,
  now: string,
  intervalDays: number,
  timezone = BERLIN,
  rotateAt = '03:00',
): string {
  return nextRotationTime({ lastRotatedAt: last, now, intervalDays, timezone, rotateAt }).toISOString();
}

describe('isRotationDue counts local calendar days in the rotation time zone', () => {
  it('is due on the first run when nothing was rotated yet', () => {
    expect(due(undefined, '2027-03-28T01:00:00Z', 30)).toBe(true);
  });

  describe('Europe/Berlin, clocks forward on 2027-03-28 (03:00 CEST = 01:00Z)', () => {
    it('interval 1: due 23 hours after a 03:00 CET rotation, because it is the next local day', () => {
      expect(due('2027-03-27T02:00:05Z', '2027-03-28T01:00:00Z', 1)).toBe(true);
    });
    it('interval 7: not due on the sixth local day, due on the seventh', () => {
      expect(due('2027-03-22T02:00:03Z', '2027-03-28T01:00:00Z', 7)).toBe(false);
      expect(due('2027-03-22T02:00:03Z', '2027-03-29T01:00:00Z', 7)).toBe(true);
    });
    it('interval 30: due at 03:00 CEST on 03-31 after a 03:00 CET rotation on 03-01', () => {
      expect(due('2027-03-01T02:00:04Z', '2027-03-30T01:00:00Z', 30)).toBe(false);
      expect(due('2027-03-01T02:00:04Z', '2027-03-31T01:00:00Z', 30)).toBe(true);
    });
  });

  describe('Europe/Berlin, clocks back on 2027-10-31 (03:00 CET = 02:00Z)', () => {
    it('interval 1: due 25 hours later, on the next local day', () => {
      expect(due('2027-10-30T01:00:05Z', '2027-10-31T02:00:00Z', 1)).toBe(true);
    });
    it('interval 7 and 30: due on the local date, whatever the offset change', () => {
      expect(due('2027-10-25T01:00:02Z', '2027-10-31T02:00:00Z', 7)).toBe(false);
      expect(due('2027-10-25T01:00:02Z', '2027-11-01T02:00:00Z', 7)).toBe(true);
      expect(due('2027-10-05T01:00:02Z', '2027-11-03T02:00:00Z', 30)).toBe(false);
      expect(due('2027-10-05T01:00:02Z', '2027-11-04T02:00:00Z', 30)).toBe(true);
    });
  });

  describe('America/New_York, clocks forward on 2027-03-14 and back on 2027-11-07', () => {
    it('interval 1 across both switches', () => {
      expect(due('2027-03-13T08:00:02Z', '2027-03-14T07:00:00Z', 1, NEW_YORK)).toBe(true);
      expect(due('2027-11-06T07:00:02Z', '2027-11-07T08:00:00Z', 1, NEW_YORK)).toBe(true);
    });
    it('interval 7 and 30 across the switches', () => {
      expect(due('2027-03-08T08:00:00Z', '2027-03-14T07:00:00Z', 7, NEW_YORK)).toBe(false);
      expect(due('2027-03-08T08:00:00Z', '2027-03-15T07:00:00Z', 7, NEW_YORK)).toBe(true);
      expect(due('2027-10-08T07:00:00Z', '2027-11-07T08:00:00Z', 30, NEW_YORK)).toBe(true);
      expect(due('2027-10-09T07:00:00Z', '2027-11-07T08:00:00Z', 30, NEW_YORK)).toBe(false);
    });
  });

  it('uses the local date, not the UTC date (02:30 CEST on 03-29 is still 03-28 in UTC)', () => {
    // Last rotation 23:30 UTC on 03-28 = 01:30 CEST on 03-29: same local day as the check.
    expect(due('2027-03-28T23:30:00Z', '2027-03-29T01:00:00Z', 1)).toBe(false);
    expect(due('2027-03-28T23:30:00Z', '2027-03-29T01:00:00Z', 1, 'UTC')).toBe(true);
  });

  it('retries the day after a failed rotation: lastRotatedAt is unchanged, so it is still due', () => {
    const last = '2027-03-01T02:00:04Z';
    // Due and tried at 03:00 CEST on 03-31; the run failed, nothing changed.
    expect(due(last, '2027-03-31T01:00:00Z', 30)).toBe(true);
    // The next daily wake-up finds it due again and schedules it for 03:00 the next day.
    expect(next(last, '2027-03-31T01:05:00Z', 30)).toBe('2027-04-01T01:00:00.000Z');
    expect(due(last, '2027-04-01T01:00:00Z', 30)).toBe(true);
  });
});

describe('nextRotationTime: the first 03:00 local time on or after the due date', () => {
  it('Europe/Berlin: intervals 1, 7 and 30 across the spring and autumn switches', () => {
    expect(next('2027-03-27T02:00:05Z', '2027-03-27T02:01:00Z', 1)).toBe('2027-03-28T01:00:00.000Z');
    expect(next('2027-03-22T02:00:03Z', '2027-03-22T02:01:00Z', 7)).toBe('2027-03-29T01:00:00.000Z');
    expect(next('2027-03-01T02:00:04Z', '2027-03-01T02:01:00Z', 30)).toBe('2027-03-31T01:00:00.000Z');
    expect(next('2027-10-30T01:00:05Z', '2027-10-30T01:01:00Z', 1)).toBe('2027-10-31T02:00:00.000Z');
    expect(next('2027-10-25T01:00:02Z', '2027-10-25T01:01:00Z', 7)).toBe('2027-11-01T02:00:00.000Z');
    expect(next('2027-10-05T01:00:02Z', '2027-10-05T01:01:00Z', 30)).toBe('2027-11-04T02:00:00.000Z');
  });

  it('America/New_York: intervals 1, 7 and 30 across the spring and autumn switches', () => {
    expect(next('2027-03-13T08:00:02Z', '2027-03-13T08:01:00Z', 1, NEW_YORK)).toBe(
      '2027-03-14T07:00:00.000Z',
    );
    expect(next('2027-03-08T08:00:00Z', '2027-03-08T08:01:00Z', 7, NEW_YORK)).toBe(
      '2027-03-15T07:00:00.000Z',
    );
    expect(next('2027-02-12T08:00:00Z', '2027-02-12T08:01:00Z', 30, NEW_YORK)).toBe(
      '2027-03-14T07:00:00.000Z',
    );
    expect(next('2027-11-06T07:00:02Z', '2027-11-06T07:01:00Z', 1, NEW_YORK)).toBe(
      '2027-11-07T08:00:00.000Z',
    );
    expect(next('2027-10-31T07:00:00Z', '2027-10-31T07:01:00Z', 7, NEW_YORK)).toBe(
      '2027-11-07T08:00:00.000Z',
    );
    expect(next('2027-10-08T07:00:00Z', '2027-10-08T07:01:00Z', 30, NEW_YORK)).toBe(
      '2027-11-07T08:00:00.000Z',
    );
  });

  it('is today at rotateAt when never rotated and the time is still ahead, else tomorrow', () => {
    expect(next(undefined, '2027-03-28T00:30:00Z', 30)).toBe('2027-03-28T01:00:00.000Z');
    expect(next(undefined, '2027-03-28T01:00:01Z', 30)).toBe('2027-03-29T01:00:00.000Z');
  });

  it('is now at the earliest when the rotation is overdue', () => {
    expect(next('2027-01-01T02:00:00Z', '2027-03-28T00:59:00Z', 30)).toBe('2027-03-28T01:00:00.000Z');
  });

  it('skips a day on which rotateAt does not exist, as Temporal does (02:30 on 2027-03-28 in Berlin)', () => {
    expect(next('2027-03-27T01:30:00Z', '2027-03-27T01:31:00Z', 1, BERLIN, '02:30')).toBe(
      '2027-03-29T00:30:00.000Z',
    );
  });

  it('takes the earlier of the two 01:30s on the night New York clocks go back', () => {
    expect(next('2027-11-06T05:30:00Z', '2027-11-06T05:31:00Z', 1, NEW_YORK, '01:30')).toBe(
      '2027-11-07T05:30:00.000Z',
    );
  });

  it('takes the later of the two 02:30s on the night Berlin clocks go back, where Temporal acts', () => {
    // 2027-10-31 shows 02:30 at 00:30Z (summer time) and 01:30Z (winter time); the server's
    // calendar only acts at the second (found by the year-of-schedules run, scripts/chaos/).
    expect(next('2027-10-30T00:30:00Z', '2027-10-30T00:31:00Z', 1, BERLIN, '02:30')).toBe(
      '2027-10-31T01:30:00.000Z',
    );
    expect(next('2027-04-02T15:30:00Z', '2027-04-02T15:31:00Z', 1, 'Australia/Sydney', '02:30')).toBe(
      '2027-04-03T16:30:00.000Z',
    );
  });
});

describe('apply warns about a rotateAt that a spring-forward night skips', () => {
  const rotationAt = (rotateAt: string, timezone: string) =>
    rotationSchema.parse({
      name: 'gap',
      openrouter: { key: { name: 'gap' } },
      schedule: { intervalDays: 1, rotateAt, timezone },
      destinations: [{ type: 'file', path: 'gap.env' }],
    });
  const now = new Date('2027-01-10T12:00:00Z');

  it('names the day for 02:30 in Berlin and 02:00 in New York', () => {
    expect(skippedDaysNote(rotationAt('02:30', BERLIN), now)).toMatch(
      /^02:30 does not exist in Europe\/Berlin on 2027-03-28/,
    );
    expect(skippedDaysNote(rotationAt('02:00', NEW_YORK), now)).toMatch(/on 2027-03-14/);
  });

  it('says nothing for times every day has', () => {
    expect(skippedDaysNote(rotationAt('03:00', BERLIN), now)).toBeUndefined();
    expect(skippedDaysNote(rotationAt('02:30', 'UTC'), now)).toBeUndefined();
  });
});
