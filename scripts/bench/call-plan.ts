/**
 * The OpenRouter calls of one real rotation, as the emulator logged them, turned into a plan a
 * bare script can replay: the keys' hashes become `{old}` and `{new}`, and calls the rotation sent
 * together (before the first of them could have been answered) stay together.
 */

/** Whose key a request carried: the management key, or the rotation's old or new key. */
export type Bearer = 'management' | 'old' | 'new';

/** One request as the emulator saw it. */
export interface ObservedCall {
  method: string;
  /** Path and query, e.g. `/api/v1/keys/5d41…`. */
  path: string;
  /** When it arrived, in ms. */
  receivedAt: number;
  /** What the emulator answered (a rotation expects some 404s, e.g. reading a deleted key). */
  status: number;
  bearer: Bearer;
}

/** One request of the plan: its path names keys as `{old}` and `{new}`. */
export interface PlannedCall {
  method: string;
  path: string;
  bearer: Bearer;
  /** The answer the rotation got, and a replay must get too. */
  status: number;
}

/** Groups of calls sent at once; each group is sent after the previous one was answered. */
export type CallPlan = PlannedCall[][];

/**
 * The plan of `calls`. Every answer takes at least `latencyMs` (the emulator's delay), so a call
 * that waited for an earlier answer arrives at least that much after it; a call that arrives
 * within half of it after the first of a group was sent alongside it.
 */
export function callPlan(
  calls: ObservedCall[],
  hashes: { old: string; new: string },
  latencyMs: number,
): CallPlan {
  const plan: CallPlan = [];
  let groupStart = -Infinity;
  for (const call of [...calls].sort((a, b) => a.receivedAt - b.receivedAt)) {
    const planned: PlannedCall = {
      method: call.method,
      path: call.path.replaceAll(hashes.old, '{old}').replaceAll(hashes.new, '{new}'),
      bearer: call.bearer,
      status: call.status,
    };
    if (call.receivedAt - groupStart < latencyMs / 2) plan.at(-1)!.push(planned);
    else {
      plan.push([planned]);
      groupStart = call.receivedAt;
    }
  }
  return plan;
}

/** How many calls a plan makes. */
export function callCount(plan: CallPlan): number {
  return plan.reduce((sum, group) => sum + group.length, 0);
}

/** `GET /keys/{old} ×2, POST /keys, …` (API prefix and query left out), in order of first use. */
export function describeCalls(plan: CallPlan, apiPrefix = '/api/v1'): string {
  const counts = new Map<string, number>();
  for (const call of plan.flat()) {
    const path = call.path.split('?')[0]!.replace(apiPrefix, '');
    const what =
      `${call.method} ${path}` +
      (call.bearer === 'new' ? ' as the new key' : '') +
      (call.status >= 300 ? ` (${call.status})` : '');
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => (n > 1 ? `${what} ×${n}` : what)).join(', ');
}
