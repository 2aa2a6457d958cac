/**
 * Determinism guard for the sweep workflow: a sweep recorded before it was limited to the file's
 * rotations and workspaces (it then deleted a key of another deployment, a key in another
 * workspace and a key whose traffic could not be counted) replays against today's code, which
 * keeps doing what that run did (patched 'sweep-scoped-to-config') instead of failing the sweep in
 * flight when a worker with the new code takes over.
 *
 * Re-record (only when an incompatible change is intended and versioned):
 * RECORD_SWEEP_FIXTURE=1 npx vitest run test/cli/sweep-replay.test.ts. Recorded without the
 * payload codec; it holds key hashes and labels of throwaway emulator keys only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { SweepInput, SweepResult } from '../../src/workflow-contract/messages.js';
import { createRotationHarness, workflowBundle } from '../support/rotation-harness.js';

const fixture = fileURLToPath(new URL('../fixtures/sweep-history.json', import.meta.url));
const recording = process.env.RECORD_SWEEP_FIXTURE === '1';
const DAYS_AGO = (days: number) => new Date(Date.now() - days * 86_400_000);

describe('sweep workflow determinism', () => {
  it.runIf(recording)('records a sweep that deleted keys outside the file, as a fixture', async () => {
    const h = await createRotationHarness({ encrypt: false });
    try {
      const { emulator } = h;
      const held = emulator.seedKey({ name: 'k (key-rotator swept 0a1b2c3d)', createdAt: DAYS_AGO(3) });
      await writeFile(join(h.dir, 'swept.env'), `OPENROUTER_API_KEY=${held.key}\n`, { mode: 0o600 });
      const other = emulator.account.addWorkspace({ name: 'other team' });
      emulator.seedKey({ name: 'k (key-rotator swept 9f8e7d6c)', createdAt: DAYS_AGO(2) });
      emulator.seedKey({ name: 'k (key-rotator other-deployment 11112222)', createdAt: DAYS_AGO(4) });
      emulator.seedKey({
        name: 'k (key-rotator swept 33334444)',
        createdAt: DAYS_AGO(5),
        workspaceId: other.id,
      });
      // Analytics refuses: the old sweep fell back to today's USD usage (0) and deleted.
      emulator.setFaults({
        scripted: [{ method: 'POST', path: '^/api/v1/analytics/query$', status: 403, count: 1000 }],
      });
      const input: SweepInput = {
        rotations: [h.rotation('swept', {}, ['swept.env'])],
        runningRotations: [],
        createdBefore: new Date().toISOString(),
        delete: true,
      };
      const worker = await h.worker();
      const history = await worker.runUntil(async () => {
        const handle = await h.client.workflow.start('sweepWorkflow', {
          taskQueue: h.taskQueue,
          workflowId: `sweep-recording-${Date.now()}`,
          args: [input],
        });
        const result = (await handle.result()) as SweepResult;
        expect(result.orphans.filter((o) => o.deleted)).toHaveLength(3);
        return handle.fetchHistory();
      });
      const json = historyToJSON(history);
      expect(json).not.toMatch(/sk-or-v1-[0-9a-f]{20}/);
      await writeFile(fixture, `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
    } finally {
      await h.close();
    }
  });

  it('replays a sweep recorded before it was scoped to the file with the current workflow code', async () => {
    const history = historyFromJSON(JSON.parse(await readFile(fixture, 'utf8')));
    const deletes = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deleteKey',
    );
    expect(deletes).toHaveLength(3);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'sweep-fixture');
  });
});
