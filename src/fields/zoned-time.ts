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
