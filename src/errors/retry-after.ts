/** How long a server asks us to wait before the next attempt: one reading for every HTTP client here. */

/**
 * `Retry-After` in milliseconds: delta-seconds (the documented form) or an HTTP date. Undefined when
 * absent or unreadable.
 */
export function parseRetryAfterMs(header: string | null, now: Date = new Date()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}
