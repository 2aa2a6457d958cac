import { Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/dev/temporal-dev-server.js';
import { createRotationHarness, type RotationHarness } from './support/rotation-harness.js';

let h: RotationHarness;
let metricsUrl: string;

beforeAll(async () => {
  // Each test file runs in its own process, so this file may install the runtime with an exporter.
  const port = await freePort();
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  h = await createRotationHarness();
});
afterAll(async () => {
  await h?.close();
});

function sample(text: string, name: string, rotation: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(name) && l.includes(`rotation="${rotation}"`) && !l.startsWith('#'));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('worker metrics', () => {
  it('exports rotation counters and the key age in Prometheus format', async () => {
    await h.adoptKey(['metrics.env']);
    const rotation = h.rotation('metrics', {}, ['metrics.env']);
    const worker = await h.worker();
    const text = await worker.runUntil(async () => {
      const handle = await h.startRotation(rotation);
      await handle.result();
      // The exporter is scraped from the runtime's last snapshot; give it a moment.
      let body = '';
      for (let i = 0; i < 50 && !body.includes('key_rotator_rotations_succeeded_total'); i++) {
        body = await (await fetch(metricsUrl)).text();
        await new Promise((r) => setTimeout(r, 200));
      }
      return body;
    });
    expect(sample(text, 'key_rotator_rotations_started_total', 'metrics')).toBe(1);
    expect(sample(text, 'key_rotator_rotations_succeeded_total', 'metrics')).toBe(1);
    expect(sample(text, 'key_rotator_rotations_failed_total', 'metrics')).toBeUndefined();
    // The adopted key was 30 days old when checked; the new one is seconds old now.
    const age = sample(text, 'key_rotator_key_age_seconds', 'metrics');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(3600);
    expect(text).toMatch(/temporal_workflow_completed/);
  });
});
