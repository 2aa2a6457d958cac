/**
 * The year-of-schedules check (scripts/chaos/year-of-schedules.ts, `npm run chaos:year`) in small:
 * 25 schedules across the five zones, DST-touched times included, on a real dev server, every
 * wake-up, rotation and next-rotation prediction of a year checked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { formatYearReport, runYearOfSchedules } from '../../scripts/chaos/year-of-schedules.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'year-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a year of 25 schedules: no day missed, no rotation doubled, every next rotation shown as the server acts', async () => {
  const report = await runYearOfSchedules({
    rotations: 25,
    seed: 3,
    cliPath: inject('temporalCliPath'),
    outDir: dir,
  });
  const table = formatYearReport(report);
  expect(report.violations, table).toBe(0);
  expect(report.results).toHaveLength(25);
  // The zones with daylight saving have their gap days and their second wake-ups.
  expect(
    report.results.reduce((n, r) => n + r.gapDays.length, 0),
    table,
  ).toBeGreaterThan(0);
  expect(
    report.results.reduce((n, r) => n + r.extraWakeUps.length, 0),
    table,
  ).toBeGreaterThan(0);
  expect(
    report.results.every((r) => r.rotations.length === r.expectedRotations),
    table,
  ).toBe(true);
}, 300_000);
