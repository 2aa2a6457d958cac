/**
 * Durations as users write them in config and on the command line: `24h`, `30m`, `0s`, `7d`,
 * `1h30m`, `500ms`. Pure code (no Node built-ins) so workflows can use it too.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PART = /(\d+)(ms|s|m|h|d)/g;
export const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d))+$/;

/** Parses a duration string to milliseconds, or returns undefined when it is not one. */
export function tryParseDuration(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Parses a duration string to milliseconds; throws a readable error when it is not one. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new Error(
      `"${text}" is not a duration: use a number and a unit (ms, s, m, h, d), e.g. 24h, 30m, 1h30m, 0s`,
    );
  }
  return ms;
}

/** Formats milliseconds compactly for people: 90061000 → "1d1h1m1s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}
