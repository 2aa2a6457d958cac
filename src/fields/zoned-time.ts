/**
 * Local calendar dates and wall-clock times in an IANA time zone, computed with `Intl` only (no
 * Node built-ins, no time-zone library) so that workflow code can use them deterministically.
 */

/** A calendar date without a time or zone. `month` is 1–12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** A wall-clock time of day, 24-hour clock. */
export interface WallTime {
  hour: number;
  minute: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The local date and time of `instant` in `timeZone`, as if it were UTC (milliseconds). */
function localWallClockMs(instant: Date, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) + instant.getUTCMilliseconds();
}

/** The offset of `timeZone` from UTC at `instant`, in milliseconds (Berlin in summer: +7_200_000). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  return localWallClockMs(instant, timeZone) - instant.getTime();
}

/** The calendar date that `instant` falls on in `timeZone`. */
export function localDateOf(instant: Date, timeZone: string): LocalDate {
  const local = new Date(localWallClockMs(instant, timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

/** Days since 1970-01-01 of a calendar date: differences of these are calendar-day distances. */
export function dayNumber(date: LocalDate): number {
  return Math.round(Date.UTC(date.year, date.month - 1, date.day) / DAY_MS);
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** `2027-03-28` */
export function formatLocalDate(date: LocalDate): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(date.year).padStart(4, '0')}-${pad(date.month)}-${pad(date.day)}`;
}

/** Parses `HH:MM` (24-hour clock). */
export function parseWallTime(text: string): WallTime {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59) throw new Error(`"${text}" is not a time of day (HH:MM)`);
  return { hour, minute };
}

/**
 * The instants at which the wall clock in `timeZone` shows `time` on `date`, earliest first: one
 * normally, none when the time falls into a daylight-saving gap (clocks jump over it), two when it
 * falls into an overlap (clocks go back and show it twice).
 */
export function instantsOfWallTime(date: LocalDate, time: WallTime, timeZone: string): Date[] {
  const wall = Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute);
  // Every offset in force within a day either side covers any transition near this wall time.
  const offsets = new Set(
    [wall - DAY_MS, wall, wall + DAY_MS].map((probe) => zoneOffsetMs(new Date(probe), timeZone)),
  );
  const instants = [...offsets]
    .map((offset) => wall - offset)
    .filter((candidate) => localWallClockMs(new Date(candidate), timeZone) === wall);
  return [...new Set(instants)].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/**
 * The instant Go's `time.Date` gives for a wall time (what Temporal's scheduler uses): the offset in
 * force at the wall time read as UTC, unless the instant that gives lies outside that offset's
 * period, then the offset in force at that instant. An ambiguous time resolves to its earlier
 * occurrence west of UTC and to its later one east of it; a time in a gap to a time beside it.
 */
function goTimeDate(wallMs: number, timeZone: string): number {
  const guessed = zoneOffsetMs(new Date(wallMs), timeZone);
  const instant = wallMs - guessed;
  const actual = zoneOffsetMs(new Date(instant), timeZone);
  return actual === guessed ? instant : wallMs - actual;
}

const HOUR_MS = 3_600_000;

/**
 * When a Temporal Schedule with a daily calendar spec at `time` in `timeZone` acts on `date`,
 * earliest first, as the server's calendar code computes it (service/worker/scheduler/calendar.go;
 * checked against the real server by the year-of-schedules run, scripts/chaos/):
 * - no time on a day whose `time` a gap skips;
 * - otherwise the Go resolution of the wall time ({@link goTimeDate}): for a `time` inside the
 *   hour that is repeated when clocks go back, the earlier one west of UTC (New York), the later
 *   one east of it (Berlin, Sydney);
 * - and a second time one hour after it when the next local hour starts two hours later (the
 *   server walks a repeated hour twice): west of UTC that is the repeated hour's second `time`,
 *   east of UTC it follows a `time` in the hour *before* the repeated one (01:30 → also 02:30).
 */
export function scheduleActionTimes(date: LocalDate, time: WallTime, timeZone: string): Date[] {
  const wallAt = (hour: number, minute: number) =>
    Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const first = goTimeDate(wallAt(time.hour, time.minute), timeZone);
  const shownHour = new Date(first + zoneOffsetMs(new Date(first), timeZone)).getUTCHours();
  if (shownHour !== time.hour) return [];
  const hourStart = goTimeDate(wallAt(time.hour, 0), timeZone);
  const nextHourStart = goTimeDate(wallAt(time.hour + 1, 0), timeZone);
  const times = [new Date(first)];
  if (nextHourStart - hourStart > HOUR_MS) times.push(new Date(first + HOUR_MS));
  return times;
}

/** The dates among the `days` days from `from` on which `time` does not exist in `timeZone`. */
export function datesWithoutWallTime(
  from: LocalDate,
  days: number,
  time: WallTime,
  timeZone: string,
): LocalDate[] {
  const missing: LocalDate[] = [];
  for (let i = 0; i < days; i++) {
    const date = addDays(from, i);
    if (instantsOfWallTime(date, time, timeZone).length === 0) missing.push(date);
  }
  return missing;
}
