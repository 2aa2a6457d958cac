/**
 * A run parses its rotation's durations once (src/config/rotation-durations.ts) and works out the
 * new key's expiry backstop from them: none, a fixed duration, or one interval plus the grace
 * period plus a week, in whole seconds as OpenRouter wants it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { durationsOf } from '../../src/config/rotation-durations.js';
import { rotationSchema, type RotationConfig } from '../../src/config/schema.js';
import { expiryBackstop } from '../../src/workflow-contract/key-settings.js';

function rotation(settings: { gracePeriod?: string; expiresAfter?: string } = {}): RotationConfig {
  return rotationSchema.parse({
    name: 'durations',
    openrouter: {
      key: { name: 'k', ...(settings.expiresAfter ? { expiresAfter: settings.expiresAfter } : {}) },
    },
    schedule: { intervalDays: 30 },
    ...(settings.gracePeriod ? { gracePeriod: settings.gracePeriod } : {}),
    destinations: [{ type: 'file', path: '/srv/app/key.env' }],
  });
}

beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-03-01T12:00:00.250Z'));
});
afterAll(() => {
  vi.useRealTimers();
});

describe('a rotation’s durations', () => {
  it('are the configured ones in milliseconds, defaults included', () => {
    expect(durationsOf(rotation({ gracePeriod: '1h30m' }))).toEqual({
      graceMs: 5_400_000,
      newKeyWindowMs: 120_000,
      trafficHoldTimeoutMs: 86_400_000,
      expiresAfter: 'none',
    });
  });

  it('take rotate --grace over the configured grace period', () => {
    expect(durationsOf(rotation({ gracePeriod: '48h' }), '0s').graceMs).toBe(0);
  });

  it('refuse a text that is not a duration, naming it', () => {
    expect(() => durationsOf(rotation(), 'soon')).toThrow('"soon" is not a duration');
  });
});

describe('the expiry backstop of a new key', () => {
  it('is none when the rotation asks for none', () => {
    const r = rotation();
    expect(expiryBackstop(r, durationsOf(r))).toBeNull();
  });

  it('is the configured duration from now, rounded up to a whole second', () => {
    const r = rotation({ expiresAfter: '36h' });
    expect(expiryBackstop(r, durationsOf(r))).toBe('2026-03-03T00:00:01Z');
  });

  it('is, with auto, one interval plus the grace period plus a week', () => {
    const r = rotation({ expiresAfter: 'auto' });
    // 30 days + 24 h (the default grace period) + 7 days.
    expect(expiryBackstop(r, durationsOf(r))).toBe('2026-04-08T12:00:01Z');
    // rotate --grace 0: one day less.
    expect(expiryBackstop(r, durationsOf(r, '0s'))).toBe('2026-04-07T12:00:01Z');
  });
});
