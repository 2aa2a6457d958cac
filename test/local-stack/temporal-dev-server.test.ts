import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { connectTestEnvironment } from '../support/temporal.js';

describe('the shared Temporal dev server', () => {
  it('runs a real workflow with an activity and a durable timer', async () => {
    const env = await connectTestEnvironment();
    try {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: env.namespace,
        taskQueue: 'smoke',
        workflowsPath: fileURLToPath(new URL('../fixtures/smoke-workflows.ts', import.meta.url)),
        activities: { greet: async (name: string) => `hello ${name}` },
      });
      const result = await worker.runUntil(
        env.client.workflow.execute('smokeWorkflow', {
          taskQueue: 'smoke',
          workflowId: `smoke-${Date.now()}`,
          args: ['rotator'],
        }),
      );
      expect(result).toBe('hello rotator');
    } finally {
      await env.teardown();
    }
  });
});
