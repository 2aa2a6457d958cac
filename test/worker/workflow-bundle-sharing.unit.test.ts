/**
 * The product's workflow bundle (scripts/build-workflow-bundle.ts, what `npm run build` ships) lets
 * every workflow run of a worker share zod and the schema modules (WORKFLOW_PRELOAD_MODULES in
 * src/worker/rotation-workers.ts) instead of evaluating them again for each run: about 1 MB of heap per
 * cached run otherwise. Read through the SDK's reusable V8 context, as a worker runs the bundle:
 * each run has its own module cache, which must hold the workflow modules and none of those.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TypedSearchAttributes } from '@temporalio/common';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker.js';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm.js';
import type { WorkflowInfo } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkflowBundle } from '../../scripts/build-workflow-bundle.js';

/** Module ids (webpack paths) of zod and of the modules that build schemas with it. */
const SCHEMA_MODULE = /\/zod\/|schema|event-types/;

/** What the test reads of the SDK's workflow run: its own module cache (an SDK internal). */
interface RunWithModules {
  activator: { moduleCache: Map<string, unknown> };
  dispose(): Promise<void>;
}

let dir: string;
let creator: ReusableVMWorkflowCreator;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'workflow-bundle-'));
  const file = path.join(dir, 'workflow-bundle.js');
  await buildWorkflowBundle(file);
  creator = await ReusableVMWorkflowCreator.create(
    parseWorkflowCode(await readFile(file, 'utf8'), file),
    5_000,
    new Set(),
    undefined,
  );
});

afterAll(async () => {
  await creator?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A rotation workflow run as the worker creates it on its first activation. */
async function createRun(runId: string): Promise<RunWithModules> {
  const now = new Date();
  const info = {
    workflowId: `rotation-${runId}`,
    runId,
    workflowType: 'rotationWorkflow',
    searchAttributes: {},
    typedSearchAttributes: new TypedSearchAttributes(),
    taskQueue: 'bundle-test',
    namespace: 'default',
    firstExecutionRunId: runId,
    attempt: 1,
    startTime: now,
    runStartTime: now,
    historyLength: 0,
    historySize: 0,
    continueAsNewSuggested: false,
    unsafe: { isReplaying: false, now: () => Date.now() },
    priority: {},
  } as unknown as WorkflowInfo;
  const run = await creator.createWorkflow({
    info,
    randomnessSeed: [1, 2],
    now: now.getTime(),
    showStackTraceSources: false,
  });
  return run as unknown as RunWithModules;
}

describe('the workflow bundle', () => {
  it('shares zod and the schema modules between workflow runs: no run evaluates them itself', async () => {
    for (const runId of ['run-1', 'run-2']) {
      const run = await createRun(runId);
      const ownModules = [...run.activator.moduleCache.keys()];
      expect(ownModules).toContain('./src/workflows/rotation-workflow.ts');
      expect(ownModules.filter((id) => SCHEMA_MODULE.test(id))).toEqual([]);
      await run.dispose();
    }
  });
});
