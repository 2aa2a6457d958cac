import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { statusQuery } from '../../src/workflow-contract/messages.js';
import type { rotationWorkflow } from '../../src/workflows/rotation-workflow.js';
import { spawnWorker } from './spawned-worker.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await createRotationHarness();
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await h?.close();
});

/** Starts `key-rotator worker` code in a child process and waits until it polls. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const { child } = await spawnWorker(h.workerEnv);
  children.push(child);
  return child;
}

/** Kills the process without any chance to shut down gracefully. */
async function crash(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(name: string, grace: string, file: string): Promise<WorkflowHandle<typeof rotationWorkflow>> {
  const rotation = h.rotation(name, { gracePeriod: grace }, [file]);
  return h.startRotation(rotation);
}

function expectExactlyOneLiveKeyIn(name: string, stored: string, oldHash: string) {
  const managed = h.liveKeys().filter((k) => k.name.includes(`key-rotator ${name} `));
  expect(managed.map((k) => k.hash)).toEqual([hashOfKey(stored)]);
  expect(h.liveKeys().some((k) => k.hash === oldHash)).toBe(false);
}

describe('a worker killed mid-rotation', () => {
  it('during the grace period: a new worker finishes the rotation, no duplicate, no orphan', async () => {
    const old = await h.adoptKey(['crash-grace.env']);
    const first = await startWorkerProcess();
    const handle = await start('crashgrace', '6s', 'crash-grace.env');
    await waitUntil(async () => (await handle.query(statusQuery)).step === 'grace', 'grace step');
    await crash(first);

    await startWorkerProcess();
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    const stored = (await h.readKeyFrom('crash-grace.env'))!;
    expect(result.newKey?.hash).toBe(hashOfKey(stored));
    expectExactlyOneLiveKeyIn('crashgrace', stored, old.hash);
  });

  it('while the create call is in flight: the retry removes the half-created key and finishes', async () => {
    const old = await h.adoptKey(['crash-create.env']);
    const first = await startWorkerProcess();
    // OpenRouter creates the key, then answers slowly: the worker dies before it hears back.
    h.emulator.setFaults({ responseDelayMs: 3_000 });
    const handle = await start('crashcreate', '1s', 'crash-create.env');
    await waitUntil(
      () => h.emulator.snapshot().keys.some((k) => k.name.includes('key-rotator crashcreate ')),
      'the key to exist at the emulator',
    );
    await crash(first);
    h.emulator.setFaults({});

    await startWorkerProcess();
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    expect(result.warnings.join(' ')).toContain('earlier attempt');
    const stored = (await h.readKeyFrom('crash-create.env'))!;
    expectExactlyOneLiveKeyIn('crashcreate', stored, old.hash);
    // The half-created key existed and is now deleted.
    const made = h.emulator.snapshot().keys.filter((k) => k.name.includes('key-rotator crashcreate '));
    expect(made.length).toBe(2);
    expect(made.filter((k) => k.deleted)).toHaveLength(1);
  });
});
