/**
 * When a rotation is due: on the first local calendar day, in the rotation's time zone, that is at
 * least `intervalDays` days after the local day of the last successful rotation. Counting calendar
 * days (not 24-hour periods) keeps the rotation at `rotateAt` local time across daylight-saving
 * changes. A failed rotation leaves `lastRotatedAt` unchanged, so the next daily check finds it due
 * again: failures are retried the next day.
 *
 * Pure code (no Node built-ins): the workflow imports it.
 */
import {
  addDays,
  dayNumber,
  localDateOf,
  parseWallTime,
  scheduleActionTimes,
  type LocalDate,
} from '../fields/zoned-time.js';

export interface RotationTiming {
  /** When the current key was created (the last successful rotation); absent = never rotated. */
  lastRotatedAt?: Date | string | null;
  /** The moment of the check. */
  now: Date | string;
  /** Minimum number of local calendar days between rotations (≥ 1). */
  intervalDays: number;
  /** IANA time zone in which days are counted and `rotateAt` is read. */
  timezone: string;
  /** Local time of day of the scheduled rotation, HH:MM. Used by {@link nextRotationTime}. */
  rotateAt: string;
}

function toDate(value: Date | string, what: string): Date {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new Error(`${what} is not a valid time: ${String(value)}`);
  return date;
}

/** The local calendar date from which the rotation is due, or undefined when it has never run. */
export function dueDate(timing: Omit<RotationTiming, 'now' | 'rotateAt'>): LocalDate | undefined {
  if (timing.lastRotatedAt === undefined || timing.lastRotatedAt === null) return undefined;
  const last = toDate(timing.lastRotatedAt, 'lastRotatedAt');
  return addDays(localDateOf(last, timing.timezone), timing.intervalDays);
}

/**
 * Whether a rotation should run at `now`: true when it never ran, or when the local date of `now`
 * is at least `intervalDays` days after the local date of `lastRotatedAt` (both in `timezone`).
 */
export function isRotationDue(timing: Omit<RotationTiming, 'rotateAt'> & { rotateAt?: string }): boolean {
  const due = dueDate(timing);
  if (due === undefined) return true;
  const today = localDateOf(toDate(timing.now, 'now'), timing.timezone);
  return dayNumber(today) >= dayNumber(due);
}

/**
 * The next instant at or after `now` at which a daily schedule at `rotateAt` (local time in
 * `timezone`) will find the rotation due: the first time the server's calendar acts on the due day
 * or later ({@link scheduleActionTimes}). A day on which `rotateAt` does not exist (a daylight-saving
 * gap) has no run; on the day clocks go back the server may act at the second of two `rotateAt`s
 * (Berlin, Sydney: 02:30 is the later 02:30) or at both (New York: 01:30 twice; the second finds
 * the rotation done).
 */
export function nextRotationTime(timing: RotationTiming): Date {
  const now = toDate(timing.now, 'now');
  const time = parseWallTime(timing.rotateAt);
  const today = localDateOf(now, timing.timezone);
  const due = dueDate(timing);
  let day = due !== undefined && dayNumber(due) > dayNumber(today) ? due : today;
  // A gap skips at most one day a year; the bound only guards against a broken time zone database.
  for (let attempt = 0; attempt < 8; attempt++, day = addDays(day, 1)) {
    const next = scheduleActionTimes(day, time, timing.timezone).find((t) => t.getTime() >= now.getTime());
    if (next) return next;
  }
  throw new Error(`no local time ${timing.rotateAt} found in ${timing.timezone} within a week`);
}
