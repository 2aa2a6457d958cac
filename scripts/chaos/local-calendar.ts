/**
 * Local dates and wall-clock instants for the schedule checks, written apart from the product's
 * src/fields/zoned-time.ts on purpose: the checks compare the product and the Temporal server with
 * what a calendar says, and must not share the code they check. Intl only.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    // sv-SE prints "2027-03-28 02:30:00": sortable, 24-hour.
    found = new Intl.DateTimeFormat('sv-SE', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** `2027-03-28 02:30:00`: the wall clock in `timeZone` at `instant`. */
export function wallClock(instant: Date, timeZone: string): string {
  return formatter(timeZone).format(instant);
}

/** `2027-03-28`: the local date of `instant` in `timeZone`. */
export function localDay(instant: Date, timeZone: string): string {
  return wallClock(instant, timeZone).slice(0, 10);
}

/** `02:30`: the local time of day (hours and minutes) of `instant` in `timeZone`. */
export function localTime(instant: Date, timeZone: string): string {
  return wallClock(instant, timeZone).slice(11, 16);
}

/** Calendar days from `a` to `b` (both `YYYY-MM-DD`). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** `YYYY-MM-DD` plus `days`. */
export function addDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The UTC offsets (ms) `timeZone` shows between `from` and `to`, sampled every 15 minutes. */
export function offsetsOf(timeZone: string, from: Date, to: Date): number[] {
  const offsets = new Set<number>();
  for (let probe = from.getTime(); probe <= to.getTime(); probe += 900_000) {
    const shown = Date.parse(`${wallClock(new Date(probe), timeZone).replace(' ', 'T')}Z`);
    offsets.add(shown - probe);
  }
  return [...offsets];
}

/**
 * Every instant at which the wall clock in `timeZone` reads `day` `hhmm`, earliest first: none in
 * a gap, two in an overlap. Candidates are the wall time minus each offset of the zone
 * ({@link offsetsOf} over a span that covers the day), kept when the clock reads it exactly.
 */
export function instantsShowing(
  day: string,
  hhmm: string,
  timeZone: string,
  offsets: readonly number[],
): Date[] {
  const wall = Date.parse(`${day}T${hhmm}:00Z`);
  const found = offsets
    .map((offset) => wall - offset)
    .filter((instant) => wallClock(new Date(instant), timeZone) === `${day} ${hhmm}:00`);
  return [...new Set(found)].sort((a, b) => a - b).map((ms) => new Date(ms));
}
