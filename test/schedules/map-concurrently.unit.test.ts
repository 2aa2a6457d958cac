/** The bounded concurrency `apply` and `list` use for their schedule calls. */
import { describe, expect, it } from 'vitest';
import { mapConcurrently } from '../../src/client/schedules/map-concurrently.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('mapConcurrently', () => {
  it('keeps at most `limit` calls in flight and returns results in the order of the items', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapConcurrently([5, 1, 4, 2, 3, 0, 6], 3, async (item, index) => {
      most = Math.max(most, ++inFlight);
      for (let i = 0; i < item; i++) await tick();
      inFlight--;
      return `${index}:${item}`;
    });
    expect(most).toBe(3);
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6']);
  });

  it('throws the first failure once the calls in flight settled, and starts no new ones', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = mapConcurrently([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      await tick();
      if (item === 1) throw new Error('item 1 failed');
      await tick();
      settled.push(item);
    });
    await expect(run).rejects.toThrow('item 1 failed');
    expect(started).toEqual([0, 1]);
    expect(settled).toEqual([0]);
  });
});
