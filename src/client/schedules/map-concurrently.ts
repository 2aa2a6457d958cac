/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in the
 * items' order; the first failure is thrown once the calls already started have settled.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
  return results;
}

/**
 * Schedule calls in flight at once by `apply` and `list`: enough to hide the round trip, few
 * enough not to crowd a shared frontend (Temporal Cloud limits requests per namespace). @default 16
 */
export const SCHEDULE_CALL_CONCURRENCY = 16;
