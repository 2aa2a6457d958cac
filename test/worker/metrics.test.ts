import { Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/temporal-dev-server.js';
import { rotationScheduleId } from '../../src/workflow-contract/messages.js';
import { ROTATION_COUNTERS } from '../../src/workflows/rotation-metrics.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

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
    // Counted from 0, so that the first failure is an increase Prometheus can alert on.
    expect(sample(text, 'key_rotator_rotations_failed_total', 'metrics')).toBe(0);
    expect(sample(text, 'key_rotator_rotations_rolled_back_total', 'metrics')).toBe(0);
    // interval 7 days + grace 1 s: the age the key may reach.
    expect(sample(text, 'key_rotator_key_max_age_seconds', 'metrics')).toBe(7 * 86_400 + 1);
    // The adopted key was 30 days old when checked; the new one is seconds old now.
    const age = sample(text, 'key_rotator_key_age_seconds', 'metrics');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(3600);
    expect(text).toMatch(/temporal_workflow_completed/);
  });

  it('exports every counter of a scheduled rotation at 0 from worker start, before any run', async () => {
    const scheduleId = rotationScheduleId('metrics-zero');
    await h.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '365d' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'scheduledRotationWorkflow',
        taskQueue: h.taskQueue,
        args: [],
      },
      state: { paused: true },
    });
    try {
      const worker = await h.worker();
      const text = await worker.runUntil(async () => {
        let body = '';
        for (let i = 0; i < 50 && !/rotation="metrics-zero"/.test(body); i++) {
          await new Promise((r) => setTimeout(r, 200));
          body = await (await fetch(metricsUrl)).text();
        }
        return body;
      });
      for (const { name } of Object.values(ROTATION_COUNTERS)) {
        expect(sample(text, name, 'metrics-zero'), name).toBe(0);
      }
      // The very series the workflow counts in: the same labels as the first test's rotation's.
      const labelsOf = (rotation: string) =>
        text
          .split('\n')
          .find(
            (l) =>
              l.startsWith('key_rotator_rotations_failed_total{') && l.includes(`rotation="${rotation}"`),
          )
          ?.replace(/^[^{]*\{|\}.*$/g, '')
          .split(',')
          .map((label) => label.split('=')[0])
          .sort();
      expect(labelsOf('metrics-zero')).toEqual(labelsOf('metrics'));
    } finally {
      await h.client.schedule.getHandle(scheduleId).delete();
    }
  });
});
