/**
 * A year of schedules: rotations across time zones with daylight saving (America/New_York,
 * Europe/Berlin, Australia/Sydney) and without (Asia/Kolkata, UTC), intervals of 1 to 90 days,
 * some `rotateAt` inside a DST gap or overlap, applied with the real `key-rotator apply` to a real
 * Temporal dev server. The server's own matching times for the next 365 days
 * (ListScheduleMatchingTimes: the times its scheduler will act) are compared with a calendar:
 *
 * - wake-ups: one every local day at `rotateAt`, none on a day a DST gap skips `rotateAt` (the
 *   README's rule); extra wake-ups on the day clocks go back are counted and shown;
 * - rotations: the product's due rule (src/config/rotation-due.ts, what the workflow runs) applied
 *   to those wake-ups must rotate every `intervalDays` local days at `rotateAt`, a due day without
 *   a wake-up moving the rotation to the next day: none missed, none doubled;
 * - what `status` and `list` show as the next rotation (nextRotationTime) must be the instant the
 *   server then rotates at, after each rotation of the year.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { stringify } from 'yaml';
import { isRotationDue, nextRotationTime } from '../../src/config/rotation-due.js';
import { startTemporalDevServer } from '../../src/dev/temporal-dev-server.js';
import { rotationScheduleId } from '../../src/workflow-contract/messages.js';
import { keyRotatorCli } from './key-rotator-cli.js';
import {
  addDay,
  daysBetween,
  instantsShowing,
  localDay,
  localTime,
  offsetsOf,
  wallClock,
} from './local-calendar.js';
import { writeCodecKeyring } from './run-files.js';
import { seededChoices } from './seeded-choices.js';

const DAY_MS = 86_400_000;
export const YEAR_ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Sydney',
  'Asia/Kolkata',
  'UTC',
] as const;

/** Local hours that a DST change touches, per zone: its gap and its repeated hour, and the hour before that. */
const SWITCH_HOURS: Record<string, { gap: number; overlap: number; beforeOverlap: number } | undefined> = {
  'America/New_York': { gap: 2, overlap: 1, beforeOverlap: 0 },
  'Europe/Berlin': { gap: 2, overlap: 2, beforeOverlap: 1 },
  'Australia/Sydney': { gap: 2, overlap: 2, beforeOverlap: 1 },
};

export interface YearRotation {
  name: string;
  timezone: string;
  rotateAt: string;
  intervalDays: number;
  /** When its current key was made (the last rotation before the year begins). */
  lastRotatedAt: Date;
  /** Why this `rotateAt` was picked: `gap`, `overlap`, `before-overlap` or `any`. */
  kind: 'gap' | 'overlap' | 'before-overlap' | 'any';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The rotations of the check, drawn from the seed: as many per zone, a few at DST-touched hours. */
export function yearRotations(count: number, seed: number, now: Date): YearRotation[] {
  const choices = seededChoices(seed, 11);
  const fixedIntervals = [1, 2, 7, 30, 90];
  return Array.from({ length: count }, (_, i) => {
    const timezone = YEAR_ZONES[i % YEAR_ZONES.length]!;
    const switchHours = SWITCH_HOURS[timezone];
    const slot = Math.floor(i / YEAR_ZONES.length) % 4;
    const kind: YearRotation['kind'] = !switchHours
      ? 'any'
      : (['gap', 'overlap', 'before-overlap', 'any'] as const)[slot]!;
    const hour =
      kind === 'any'
        ? choices.between(0, 23)
        : switchHours![kind === 'before-overlap' ? 'beforeOverlap' : kind];
    const minute = choices.between(0, 3) * 15 + (kind === 'any' ? choices.between(0, 14) : 0);
    // Each zone gets 1, 2, 7, 30 and 90 days; the rest are drawn.
    const fixed = Math.floor(i / YEAR_ZONES.length);
    const intervalDays = fixed < fixedIntervals.length ? fixedIntervals[fixed]! : choices.between(1, 90);
    // Somewhere in its current interval, so the first rotations of the year fall on many days.
    const lastRotatedAt = new Date(now.getTime() - choices.between(0, intervalDays * 24 - 1) * 3_600_000);
    return {
      name: `year-${String(i + 1).padStart(3, '0')}`,
      timezone,
      rotateAt: `${pad(hour)}:${pad(minute)}`,
      intervalDays,
      lastRotatedAt,
      kind,
    };
  });
}

/** One rotation's findings for the year. */
export interface YearRotationResult {
  rotation: YearRotation;
  wakeUps: number;
  /** Local days whose `rotateAt` a DST gap skips (README: no wake-up that day). */
  gapDays: string[];
  /** Days on which the server wakes up more than once, with the local times it wakes at. */
  extraWakeUps: { day: string; times: string[] }[];
  /** Rotations in the year, as the due rule makes them from the server's wake-ups. */
  rotations: Date[];
  /** Rotations a calendar expects (every intervalDays local days at rotateAt). */
  expectedRotations: number;
  /** Times `status`'s next-rotation prediction was checked, and differed from the server. */
  predictionsChecked: number;
  predictionMismatches: string[];
  violations: string[];
}

export interface YearReport {
  seed: number;
  start: Date;
  end: Date;
  results: YearRotationResult[];
  violations: number;
  durationMs: number;
}

/** The server's matching times of a schedule in [start, end). */
async function matchingTimes(
  connection: Connection,
  namespace: string,
  scheduleId: string,
  start: Date,
  end: Date,
): Promise<Date[]> {
  const answer = await connection.workflowService.listScheduleMatchingTimes({
    namespace,
    scheduleId,
    startTime: msToTs(start.getTime()),
    endTime: msToTs(end.getTime()),
  });
  return (answer.startTime ?? []).map(
    (t) => new Date(Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6)),
  );
}

/** Checks one rotation's year of wake-ups against the calendar and the product's predictions. */
export function checkYear(
  rotation: YearRotation,
  wakeUps: readonly Date[],
  start: Date,
  end: Date,
  offsets: readonly number[],
): YearRotationResult {
  const { timezone, rotateAt, intervalDays } = rotation;
  const violations: string[] = [];
  const byDay = new Map<string, Date[]>();
  for (const w of wakeUps) {
    const day = localDay(w, timezone);
    byDay.set(day, [...(byDay.get(day) ?? []), w]);
  }

  // ── wake-ups: every day at rotateAt, none on a gap day ────────────────────────────────────
  const gapDays: string[] = [];
  const extraWakeUps: { day: string; times: string[] }[] = [];
  const firstDay = localDay(start, timezone);
  const lastDay = localDay(new Date(end.getTime() - 1), timezone);
  for (let day = firstDay; day <= lastDay; day = addDay(day, 1)) {
    const showing = instantsShowing(day, rotateAt, timezone, offsets).filter(
      (t) => t.getTime() >= start.getTime() && t.getTime() < end.getTime(),
    );
    const woke = byDay.get(day) ?? [];
    const exists = instantsShowing(day, rotateAt, timezone, offsets).length > 0;
    if (!exists) {
      gapDays.push(day);
      if (woke.length > 0) violations.push(`${day}: woke up on a day ${rotateAt} does not exist`);
      continue;
    }
    if (showing.length === 0) continue; // the day's rotateAt is outside the window (first or last day)
    const onTime = woke.filter((w) => showing.some((s) => s.getTime() === w.getTime()));
    if (onTime.length === 0) violations.push(`${day}: no wake-up at ${rotateAt} (day missed)`);
    if (woke.length > 1) extraWakeUps.push({ day, times: woke.map((w) => localTime(w, timezone)) });
  }
  for (const [day, woke] of byDay) {
    if (day < firstDay || day > lastDay) violations.push(`${day}: a wake-up outside the year`);
    if (woke.length > 2) violations.push(`${day}: ${woke.length} wake-ups`);
  }

  // ── rotations: the product's due rule over the server's wake-ups ─────────────────────────
  const rotations: Date[] = [];
  let last = rotation.lastRotatedAt;
  for (const w of wakeUps) {
    if (isRotationDue({ lastRotatedAt: last, now: w, intervalDays, timezone })) {
      rotations.push(w);
      last = w;
    }
  }
  // What a calendar says: the first day, from `intervalDays` after the last rotation, on which
  // rotateAt exists at or after the start; then again from that day.
  const expected: { day: string }[] = [];
  let from = localDay(rotation.lastRotatedAt, timezone);
  for (;;) {
    let day = addDay(from, intervalDays);
    let instant: Date | undefined;
    for (let tries = 0; tries < 400 && !instant; tries++, day = addDay(day, 1)) {
      instant = instantsShowing(day, rotateAt, timezone, offsets).find((t) => t.getTime() >= start.getTime());
      if (instant) break;
    }
    if (!instant || instant.getTime() >= end.getTime()) break;
    expected.push({ day: localDay(instant, timezone) });
    from = localDay(instant, timezone);
  }
  const rotatedDays = rotations.map((r) => localDay(r, timezone));
  if (rotatedDays.join() !== expected.map((e) => e.day).join()) {
    const missing = expected.filter((e) => !rotatedDays.includes(e.day)).map((e) => e.day);
    const extra = rotatedDays.filter((d) => !expected.some((e) => e.day === d));
    violations.push(
      `rotations on ${rotations.length} days, ${expected.length} expected` +
        (missing.length ? `; missed ${missing.slice(0, 5).join(', ')}` : '') +
        (extra.length ? `; unexpected ${extra.slice(0, 5).join(', ')}` : ''),
    );
  }
  for (let i = 0; i < rotations.length; i++) {
    const r = rotations[i]!;
    if (localTime(r, timezone) !== rotateAt)
      violations.push(`rotation at ${wallClock(r, timezone)}, not at ${rotateAt}`);
    if (i > 0 && daysBetween(rotatedDays[i - 1]!, rotatedDays[i]!) < intervalDays)
      violations.push(
        `rotations on ${rotatedDays[i - 1]} and ${rotatedDays[i]}: closer than ${intervalDays} days`,
      );
  }

  // ── what status shows as the next rotation, before the year and after each rotation ───────
  const predictionMismatches: string[] = [];
  const moments = [
    { lastRotatedAt: rotation.lastRotatedAt, now: start },
    ...rotations.map((r) => ({ lastRotatedAt: r, now: new Date(r.getTime() + 60_000) })),
  ];
  let predictionsChecked = 0;
  moments.forEach((moment, i) => {
    const actual = rotations[i];
    if (!actual) return; // after the year's last rotation: nothing to compare with
    predictionsChecked += 1;
    const predicted = nextRotationTime({ ...moment, intervalDays, timezone, rotateAt });
    if (predicted.getTime() !== actual.getTime()) {
      predictionMismatches.push(
        `predicted ${predicted.toISOString()} (${wallClock(predicted, timezone)}), ` +
          `the server rotates at ${actual.toISOString()} (${wallClock(actual, timezone)})`,
      );
    }
  });
  violations.push(...predictionMismatches.map((m) => `next rotation shown wrong: ${m}`));

  return {
    rotation,
    wakeUps: wakeUps.length,
    gapDays,
    extraWakeUps,
    rotations,
    expectedRotations: expected.length,
    predictionsChecked,
    predictionMismatches,
    violations,
  };
}

export interface YearOptions {
  rotations?: number;
  seed?: number;
  cliPath: string;
  outDir: string;
  log?(line: string): void;
}

/** Applies the rotations to a fresh dev server and checks a year of each schedule. */
export async function runYearOfSchedules(options: YearOptions): Promise<YearReport> {
  const began = Date.now();
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => undefined);
  await mkdir(options.outDir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const rotations = yearRotations(options.rotations ?? 100, seed, now);

  const server = await startTemporalDevServer({ cliPath: options.cliPath });
  const connection = await Connection.connect({ address: server.address });
  try {
    const rotationsFile = path.join(options.outDir, 'rotations.yaml');
    const keyring = path.join(options.outDir, 'codec-keyring.json');
    await writeCodecKeyring(keyring);
    await writeFile(
      rotationsFile,
      stringify({
        version: 1,
        rotations: rotations.map((r) => ({
          name: r.name,
          description: `a year of schedules (${r.kind})`,
          openrouter: { managementKeyEnv: 'YEAR_MANAGEMENT_KEY', key: { name: r.name } },
          schedule: { intervalDays: r.intervalDays, rotateAt: r.rotateAt, timezone: r.timezone },
          destinations: [{ type: 'file', path: path.join(options.outDir, 'keys', `${r.name}.env`) }],
        })),
      }),
      { mode: 0o600 },
    );
    const cli = keyRotatorCli({
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
        KEY_ROTATOR_CODEC_KEY_FILE: keyring,
        KEY_ROTATOR_TASK_QUEUE: 'year-of-schedules',
      },
      cwd: process.cwd(),
      logFile: path.join(options.outDir, 'cli.log'),
      timeoutMs: 300_000,
    });
    const applied = await cli.run(['apply', '-f', rotationsFile]);
    if (applied.code !== 0) throw new Error(`key-rotator apply exited ${applied.code}: ${applied.stderr}`);
    log(`applied ${rotations.length} schedules to ${server.address}`);

    // The year starts now (schedules only match times after their creation).
    const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    const end = new Date(start.getTime() + 365 * DAY_MS);
    const offsets = new Map<string, number[]>(
      YEAR_ZONES.map((zone) => [
        zone,
        offsetsOf(zone, new Date(start.getTime() - 2 * DAY_MS), new Date(end.getTime() + 2 * DAY_MS)),
      ]),
    );
    const results: YearRotationResult[] = [];
    for (const rotation of rotations) {
      const scheduleId = rotationScheduleId(rotation.name);
      const wakeUps = await matchingTimes(connection, server.namespace, scheduleId, start, end);
      // describe's upcoming action times come from the same scheduler: they must be the first of the year's.
      const described = await connection.workflowService.describeSchedule({
        namespace: server.namespace,
        scheduleId,
      });
      const upcoming = (described.info?.futureActionTimes ?? []).map(
        (t) => new Date(Number(t.seconds ?? 0) * 1000),
      );
      const result = checkYear(rotation, wakeUps, start, end, offsets.get(rotation.timezone)!);
      const firstOfYear = wakeUps.slice(0, upcoming.length).map((d) => d.getTime());
      if (upcoming.map((d) => d.getTime()).join() !== firstOfYear.join())
        result.violations.push(
          "describe's upcoming action times differ from the year's first matching times",
        );
      results.push(result);
    }
    const violations = results.reduce((n, r) => n + r.violations.length, 0);
    return { seed, start, end, results, violations, durationMs: Date.now() - began };
  } finally {
    await connection.close();
    await server.stop();
  }
}

/** The year table, one row per zone and a total, as docs/reliability.md shows it. */
export function formatYearReport(report: YearReport): string {
  const rows: string[][] = [
    [
      'time zone',
      'rotations',
      'intervals (days)',
      'server wake-ups',
      'gap days (no wake-up)',
      'days with a 2nd wake-up',
      'rotations in the year / expected',
      'next-rotation predictions / wrong',
      'violations',
    ],
  ];
  const groups: string[][] = [...YEAR_ZONES.map((zone) => [zone]), [...YEAR_ZONES]];
  for (const zones of groups) {
    const rs = report.results.filter((r) => zones.includes(r.rotation.timezone));
    const sum = (f: (r: YearRotationResult) => number) => rs.reduce((n, r) => n + f(r), 0);
    const intervals = rs.map((r) => r.rotation.intervalDays);
    rows.push([
      zones.length === 1 ? zones[0]! : 'all',
      String(rs.length),
      `${Math.min(...intervals)}–${Math.max(...intervals)}`,
      String(sum((r) => r.wakeUps)),
      String(sum((r) => r.gapDays.length)),
      String(sum((r) => r.extraWakeUps.length)),
      `${sum((r) => r.rotations.length)} / ${sum((r) => r.expectedRotations)}`,
      `${sum((r) => r.predictionsChecked)} / ${sum((r) => r.predictionMismatches.length)}`,
      String(sum((r) => r.violations.length)),
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const out = [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ];
  out.push('', `year ${report.start.toISOString()} → ${report.end.toISOString()}, seed ${report.seed}`);
  const extra = report.results.flatMap((r) =>
    r.extraWakeUps.map(
      (e) =>
        `${r.rotation.name} ${r.rotation.timezone} ${r.rotation.rotateAt}: ${e.day} wakes at ${e.times.join(' and ')}`,
    ),
  );
  if (extra.length > 0)
    out.push('', 'second wake-ups (days clocks go back):', ...extra.slice(0, 30).map((e) => `  ${e}`));
  const problems = report.results.flatMap((r) =>
    r.violations.map(
      (v) =>
        `${r.rotation.name} ${r.rotation.timezone} ${r.rotation.rotateAt} every ${r.rotation.intervalDays} d: ${v}`,
    ),
  );
  if (problems.length > 0)
    out.push('', `violations (${problems.length}, first 40):`, ...problems.slice(0, 40).map((p) => `  ${p}`));
  out.push(
    '',
    report.violations === 0
      ? 'result: PASS (0 violations)'
      : `result: FAIL (${report.violations} violations)`,
  );
  return out.join('\n');
}
