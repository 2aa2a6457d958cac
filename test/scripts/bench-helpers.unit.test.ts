/**
 * The bench's pure helpers: the plan a bare rotation replays from the emulator's log, the counting
 * of its calls, and the peak of sampled memory with what was in flight then.
 */
import { describe, expect, it } from 'vitest';
import { callCount, callPlan, describeCalls, type ObservedCall } from '../../scripts/bench/call-plan.js';
import { PeakTracker } from '../../scripts/bench/measure.js';

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);

function call(
  receivedAt: number,
  method: string,
  path: string,
  bearer: ObservedCall['bearer'] = 'management',
  status = 200,
): ObservedCall {
  return { method, path: `/api/v1${path}`, receivedAt, status, bearer };
}

describe('bench call plan', () => {
  it('names the keys by role and keeps calls one after another when each waited for the last answer', () => {
    const plan = callPlan(
      [
        call(1000, 'GET', `/keys/${OLD}`),
        call(1160, 'POST', '/keys'),
        call(1320, 'GET', '/key', 'new'),
        call(1480, 'DELETE', `/keys/${OLD}`),
        call(1640, 'GET', `/keys/${OLD}`, 'management', 404),
      ],
      { old: OLD, new: NEW },
      150,
    );
    expect(plan).toEqual([
      [{ method: 'GET', path: '/api/v1/keys/{old}', bearer: 'management', status: 200 }],
      [{ method: 'POST', path: '/api/v1/keys', bearer: 'management', status: 200 }],
      [{ method: 'GET', path: '/api/v1/key', bearer: 'new', status: 200 }],
      [{ method: 'DELETE', path: '/api/v1/keys/{old}', bearer: 'management', status: 200 }],
      [{ method: 'GET', path: '/api/v1/keys/{old}', bearer: 'management', status: 404 }],
    ]);
    expect(callCount(plan)).toBe(5);
  });

  it('keeps calls together that arrived before the first of them could have been answered', () => {
    const plan = callPlan(
      [
        call(1000, 'GET', `/keys/${OLD}`),
        call(1170, 'GET', '/byok?workspace_id=w'),
        call(1172, 'GET', '/observability/destinations?workspace_id=w'),
        call(1340, 'GET', `/keys/${NEW}`),
      ],
      { old: OLD, new: NEW },
      150,
    );
    expect(plan.map((group) => group.length)).toEqual([1, 2, 1]);
    expect(plan[2]![0]!.path).toBe('/api/v1/keys/{new}');
    expect(callCount(plan)).toBe(4);
  });

  it('orders calls by arrival whatever order the log gave them in', () => {
    const plan = callPlan(
      [call(1200, 'POST', '/keys'), call(1000, 'GET', `/keys/${OLD}`)],
      { old: OLD, new: NEW },
      150,
    );
    expect(plan.flat().map((c) => c.method)).toEqual(['GET', 'POST']);
  });

  it('describes the calls by kind, counting repeats, without the API prefix or query', () => {
    const plan = callPlan(
      [
        call(1000, 'GET', `/keys/${OLD}`),
        call(1200, 'GET', '/keys?include_disabled=true'),
        call(1400, 'POST', '/keys'),
        call(1600, 'GET', '/key', 'new'),
        call(1800, 'GET', `/keys/${OLD}`),
        call(2000, 'DELETE', `/keys/${OLD}`),
        call(2200, 'GET', `/keys/${OLD}`, 'management', 404),
      ],
      { old: OLD, new: NEW },
      150,
    );
    expect(describeCalls(plan)).toBe(
      'GET /keys/{old} ×2, GET /keys, POST /keys, GET /key as the new key, DELETE /keys/{old}, GET /keys/{old} (404)',
    );
  });
});

describe('bench peak tracker', () => {
  it('keeps the highest sample with what was in flight when it was taken', () => {
    const peak = new PeakTracker<{ inFlight: number }>();
    peak.add(180, { inFlight: 0 });
    peak.add(320, { inFlight: 90 });
    peak.add(300, { inFlight: 100 });
    expect(peak.peak).toBe(320);
    expect(peak.context).toEqual({ inFlight: 90 });
    expect(peak.samples).toBe(3);
  });

  it('has no peak and no context before the first sample', () => {
    const peak = new PeakTracker<{ inFlight: number }>();
    expect(peak.peak).toBe(-Infinity);
    expect(peak.context).toBeUndefined();
  });
});
