/**
 * OpenRouter's spending windows: daily, weekly (Monday to Sunday) and monthly, all reset at midnight
 * UTC. A counter remembers the window it was counted in and reads as 0 once that window is over.
 */
export type UsageWindow = 'daily' | 'weekly' | 'monthly';

/** The id of the window that contains `now`, e.g. `2030-01-07` (daily / the Monday of the week) or `2030-01`. */
export function windowId(window: UsageWindow, now: Date): string {
  const day = now.toISOString().slice(0, 10);
  if (window === 'daily') return day;
  if (window === 'monthly') return day.slice(0, 7);
  const daysSinceMonday = (now.getUTCDay() + 6) % 7;
  const monday = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - daysSinceMonday),
  );
  return monday.toISOString().slice(0, 10);
}

/** Spend in USD counted in one window. */
export interface WindowedCounter {
  windowId: string;
  amount: number;
}

export interface UsageCounters {
  total: number;
  daily: WindowedCounter;
  weekly: WindowedCounter;
  monthly: WindowedCounter;
}

export function emptyUsage(now: Date): UsageCounters {
  return {
    total: 0,
    daily: { windowId: windowId('daily', now), amount: 0 },
    weekly: { windowId: windowId('weekly', now), amount: 0 },
    monthly: { windowId: windowId('monthly', now), amount: 0 },
  };
}

// Money sums in binary floating point drift (0.1 + 0.2); round to a nano-dollar.
function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

export function usageIn(counters: UsageCounters, window: UsageWindow | null, now: Date): number {
  if (window === null) return counters.total;
  const counter = counters[window];
  return counter.windowId === windowId(window, now) ? counter.amount : 0;
}

export function addUsage(counters: UsageCounters, costUsd: number, now: Date): void {
  counters.total = roundUsd(counters.total + costUsd);
  for (const window of ['daily', 'weekly', 'monthly'] as const) {
    const current = windowId(window, now);
    const counter = counters[window];
    counter.amount = roundUsd((counter.windowId === current ? counter.amount : 0) + costUsd);
    counter.windowId = current;
  }
}
