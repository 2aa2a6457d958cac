/** Times as people read them: in the rotation's own time zone, to the minute or second. */
import { formatDuration } from '../../fields/duration.js';
import { zoneOffsetMs } from '../../fields/zoned-time.js';

/** `2027-03-29 03:00 Europe/Berlin` (with seconds when asked). */
export function formatLocalTime(date: Date | string, timeZone: string, withSeconds = false): string {
  const instant = new Date(date);
  // The zone's wall clock, written as if it were UTC, formats with toISOString.
  const local = new Date(instant.getTime() + zoneOffsetMs(instant, timeZone)).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, withSeconds ? 19 : 16)} ${timeZone}`;
}

/** `2027-03-29 01:00:05Z` */
export function formatUtc(date: Date | string): string {
  return new Date(date)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** `14:03:07` local to the machine running the CLI, for progress lines. */
export function formatClock(date: Date | string): string {
  const d = new Date(date);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `in 3d4h` / `5m ago`, to the minute (to the second under a minute). */
export function formatRelative(date: Date | string, now: Date): string {
  const ms = new Date(date).getTime() - now.getTime();
  const unit = Math.abs(ms) < 60_000 ? 1_000 : 60_000;
  const rounded = Math.round(Math.abs(ms) / unit) * unit;
  if (rounded === 0) return 'now';
  return ms > 0 ? `in ${formatDuration(rounded)}` : `${formatDuration(rounded)} ago`;
}

/** How long something took: `0.4s`, `3.0s`, `12s`, `14m3s`. */
export function formatElapsed(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  return formatDuration(Math.round(ms / 1000) * 1000);
}
