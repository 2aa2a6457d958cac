/**
 * The worker's attachment index: one listing of a kind in flight at a time, shared by every read
 * it may serve: one that asked before it began, or whose preflight was scheduled more than the
 * clock allowance before it began, for at most a minute (the staleness rule of
 * docs/operations.md, "Carry-over reads in a fleet").
 */
import { describe, expect, it } from 'vitest';
import {
  AttachmentIndex,
  AttachmentIndexes,
  accountOf,
  CLOCK_SKEW_ALLOWANCE_MS,
  MAX_LISTING_AGE_MS,
} from '../../src/openrouter/attachment-index.js';

/** A listing the test finishes by hand; `calls` counts how many began. */
function controlledListing() {
  const pending: ((value: string) => void)[] = [];
  let calls = 0;
  return {
    load: () => {
      calls++;
      const n = calls;
      return new Promise<string>((resolve) => pending.push(() => resolve(`listing ${n}`)));
    },
    finish: (n: number) => pending[n - 1]!(''),
    get calls() {
      return calls;
    },
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('attachment index', () => {
  it('reads asked for before a listing began share that one listing', async () => {
    const index = new AttachmentIndex();
    const listing = controlledListing();
    const since = index.mark();

    const reads = Array.from({ length: 50 }, () => index.read('assignments', since, listing.load));
    await tick();
    listing.finish(1);

    expect(await Promise.all(reads)).toEqual(Array(50).fill('listing 1'));
    expect(listing.calls).toBe(1);
  });

  it('a read asked for while a listing is in flight waits for the next one, which serves every such read', async () => {
    const index = new AttachmentIndex();
    const listing = controlledListing();
    const first = index.read('assignments', index.mark(), listing.load);
    await tick();
    // Asked after listing 1 began: an assignment made just before these reads may be missing from it.
    const late = Array.from({ length: 20 }, () => index.read('assignments', index.mark(), listing.load));
    await tick();
    expect(listing.calls).toBe(1);

    listing.finish(1);
    expect(await first).toBe('listing 1');
    await tick();
    expect(listing.calls).toBe(2);
    listing.finish(2);

    expect(await Promise.all(late)).toEqual(Array(20).fill('listing 2'));
  });

  it('a finished listing is not reused by a read asked for after it', async () => {
    const index = new AttachmentIndex();
    let n = 0;
    const load = async () => ++n;

    expect(await index.read('byok:', index.mark(), load)).toBe(1);
    expect(await index.read('byok:', index.mark(), load)).toBe(2);
  });

  it('a listing begun more than the clock allowance after the preflight was scheduled answers it, for a minute', async () => {
    let now = 100_000;
    const index = new AttachmentIndex({ now: () => now });
    let n = 0;
    const load = async () => ++n;
    const scheduledAt = 100_000;

    // Begun 2.5 s after a preflight was scheduled: it serves that preflight when it asks later.
    now = scheduledAt + CLOCK_SKEW_ALLOWANCE_MS + 500;
    expect(await index.read('assignments', index.mark(now), load)).toBe(1);
    now += 5_000;
    expect(await index.read('assignments', index.mark(scheduledAt), load)).toBe(1);
    // Scheduled less than the allowance before it began: a worker clock running ahead could hide
    // an assignment made just before the run, so a new listing.
    expect(await index.read('assignments', index.mark(scheduledAt + 1_000), load)).toBe(2);
    // Older than a minute: never.
    now += MAX_LISTING_AGE_MS + 1;
    expect(await index.read('assignments', index.mark(scheduledAt), load)).toBe(3);
  });

  it('a failed listing answers no later read', async () => {
    const index = new AttachmentIndex();
    const scheduledAt = Date.now() - 10_000;

    await expect(
      index.read('byok:', index.mark(scheduledAt), () => Promise.reject(new Error('503'))),
    ).rejects.toThrow('503');
    expect(await index.read('byok:', index.mark(scheduledAt), async () => 'listed')).toBe('listed');
  });

  it('kinds are listed apart, and a failed listing fails the reads it serves but not the next', async () => {
    const index = new AttachmentIndex();
    const since = index.mark();
    const failing = () => Promise.reject(new Error('503'));

    await expect(index.read('observability:', since, failing)).rejects.toThrow('503');
    expect(await index.read('byok:', since, async () => 'byok')).toBe('byok');
    expect(await index.read('observability:', index.mark(), async () => 'again')).toBe('again');
    expect(Object.fromEntries(index.begun)).toEqual({ 'observability:': 2, 'byok:': 1 });
  });

  it('a cancelled read stops waiting; the listing goes on for the others', async () => {
    const index = new AttachmentIndex();
    const listing = controlledListing();
    const since = index.mark();
    const abort = new AbortController();
    const cancelled = index.read('assignments', since, listing.load, abort.signal);
    const other = index.read('assignments', since, listing.load);
    await tick();

    abort.abort(new Error('cancelled'));
    await expect(cancelled).rejects.toThrow('cancelled');
    listing.finish(1);
    expect(await other).toBe('listing 1');
  });

  it('one index per account: base URL and management key, named by a digest', () => {
    const indexes = new AttachmentIndexes();
    const a = accountOf('https://openrouter.ai/api/v1', 'sk-or-v1-management-a');

    expect(indexes.of(a)).toBe(indexes.of(a));
    expect(indexes.of(a)).not.toBe(
      indexes.of(accountOf('https://openrouter.ai/api/v1', 'sk-or-v1-management-b')),
    );
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toContain('management');
  });
});
