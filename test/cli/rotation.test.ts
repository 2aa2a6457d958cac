/**
 * The key-rotator binary end to end with real rotations: the shared Temporal dev server, the
 * OpenRouter emulator, a real worker (in this process) and file destinations. What a user runs,
 * checked by what a user would check: exit codes, --json content, the key in the file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RotationOverview } from '../../src/client/rotations/rotation-overview.js';
import type { RotationRun } from '../../src/client/rotations/rotation-runs.js';
import type { RotationStatusReport } from '../../src/client/commands/status.js';
import { nextRotationTime } from '../../src/config/rotation-due.js';
import type { RotationConfig } from '../../src/config/schema.js';
import { labelOfKey } from '../../src/errors/redact.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import { rotationWorkflowId, type RotationResult } from '../../src/workflow-contract/messages.js';
import { jsonOf, runKeyRotator, uniqueName } from '../support/cli.js';
import { waitFor } from '../support/net.js';
import {
  createRotationHarness,
  MANAGEMENT_KEY_ENV,
  type RotationHarness,
} from '../support/rotation-harness.js';

let h: RotationHarness;
let workers: RotationWorkers;
let running: Promise<void>;
const name = uniqueName('cli');
let rotation: RotationConfig;
let configFile: string;

/** The binary, pointed at this harness: its codec keyring, task queue and management key. */
function cli(...args: string[]) {
  return runKeyRotator(args, {
    env: {
      KEY_ROTATOR_CODEC_KEY: h.keyringJson,
      KEY_ROTATOR_TASK_QUEUE: h.taskQueue,
      [MANAGEMENT_KEY_ENV]: h.emulator.managementKey,
      TEST_OTHER_MANAGEMENT_KEY: 'only-the-cli-has-this',
    },
  });
}

async function cliJson<T>(...args: string[]): Promise<T> {
  const run = await cli(...args, '--json');
  expect(run.code, run.stderr).toBe(0);
  return jsonOf<T>(run);
}

async function statusOf(): Promise<RotationStatusReport> {
  return cliJson<RotationStatusReport>('status', name);
}

beforeAll(async () => {
  h = await createRotationHarness();
  workers = await h.worker();
  running = workers.run();
  rotation = h.rotation(name, { description: 'the CLI test key' }, ['app.env']);
  configFile = join(h.dir, 'rotations.yaml');
  await writeFile(configFile, stringify({ version: 1, rotations: [rotation] }));
  await h.adoptKey(['app.env']);
});
afterAll(async () => {
  workers?.shutdown();
  await running;
  await h?.close();
});

describe('key-rotator with a running worker', () => {
  it('applies the file, then rotates now with --wait: step lines, a summary with labels, never the key', async () => {
    const applied = await cli('apply', '-f', configFile);
    expect(applied.code, applied.stderr).toBe(0);
    const oldKey = await h.readKeyFrom('app.env');

    const run = await cli('rotate', name, '--wait', '--reason', 'leak drill');
    expect(run.code, run.stderr).toBe(0);
    const newKey = await h.readKeyFrom('app.env');
    expect(newKey).toMatch(/^sk-or-v1-/);
    expect(newKey).not.toBe(oldKey);

    const steps = run.stdout
      .split('\n')
      .map((line) => /^\d\d:\d\d:\d\d {2}(\w+)/.exec(line)?.[1])
      .filter(Boolean);
    expect(steps).toEqual(['preflight', 'create', 'store', 'grace', 'verify', 'delete', 'done']);
    expect(run.stdout).toContain(`Rotation of ${name} succeeded in`);
    expect(run.stdout).toContain(`new key       ${labelOfKey(newKey!)}`);
    expect(run.stdout).toMatch(/old key {7}deleted/);
    expect(run.stdout + run.stderr).not.toContain(newKey);
    expect(run.stdout + run.stderr).not.toContain(oldKey);
    // The old key is gone at OpenRouter, the new one is the only live key.
    expect(h.liveKeys().map((k) => k.label)).toEqual([labelOfKey(newKey!)]);
  });

  it('lists the rotation with its schedule, next run, last outcome and active key label', async () => {
    const label = labelOfKey((await h.readKeyFrom('app.env'))!);
    const entry = await waitFor(
      async () => {
        const all = await cliJson<RotationOverview[]>('list');
        const found = all.find((o) => o.name === name);
        return found?.lastRun?.outcome === 'succeeded' && found.activeKeyLabel ? found : undefined;
      },
      { what: 'the rotation listed as succeeded' },
    );
    expect(entry).toMatchObject({
      name,
      // Not on the schedule listing `list` reads (`status` shows it).
      description: null,
      intervalDays: 7,
      rotateAt: '03:00',
      timezone: 'UTC',
      enabled: true,
      schedule: { id: `rotation-schedule-${name}`, paused: false, note: null },
      activeKeyLabel: label,
      lastRun: { outcome: 'succeeded', reason: 'manual', newKeyLabel: label, status: 'COMPLETED' },
    });
    expect(entry.nextRotationAt).toBe(
      nextRotationTime({
        lastRotatedAt: entry.lastRotatedAt,
        now: new Date(),
        intervalDays: 7,
        timezone: 'UTC',
        rotateAt: '03:00',
      }).toISOString(),
    );
    // Created moments ago, so the next rotation is 7 local days away.
    expect(Date.parse(entry.nextRotationAt!) - Date.parse(entry.lastRotatedAt!)).toBeGreaterThan(
      6 * 86_400_000,
    );
  });

  it('shows the status and history of the finished rotation', async () => {
    const status = await statusOf();
    expect(status).toMatchObject({
      name,
      running: null,
      lastError: null,
      gracePeriod: '1s',
      destinations: [`file:${join(h.dir, 'app.env')}#OPENROUTER_API_KEY`],
    });
    const history = await cliJson<RotationRun[]>('history', name);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      workflowId: rotationWorkflowId(name),
      status: 'COMPLETED',
      outcome: 'succeeded',
      reason: 'manual',
      newKeyLabel: status.activeKeyLabel,
    });
    expect(Date.parse(history[0]!.endedAt!)).toBeGreaterThanOrEqual(Date.parse(history[0]!.startedAt));
  });

  it('refuses a second rotation while one runs; pause and resume reach both the schedule and the rotation', async () => {
    const started = await cli('rotate', name, '--grace', '1h');
    expect(started.code, started.stderr).toBe(0);

    const second = await cli('rotate', name);
    expect(second.code, 'refused: nothing changed').toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(
        `a rotation of ${name} is already running \\(started .*\\); see \`key-rotator status ${name}\``,
      ),
    );

    await waitFor(async () => (await statusOf()).running?.status?.step === 'grace', { what: 'grace step' });
    const paused = await cli('pause', name, '--reason', 'drill');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain('schedule          paused');
    expect(paused.stdout).toContain('running rotation  pause signal sent');

    const whilePaused = await waitFor(
      async () => {
        const s = await statusOf();
        return s.running?.status?.paused ? s : undefined;
      },
      { what: 'paused status' },
    );
    expect(whilePaused.schedule).toMatchObject({ paused: true, note: 'paused by key-rotator pause: drill' });
    expect(whilePaused.nextRotationAt).toBeNull();
    expect(whilePaused.running?.status).toMatchObject({
      step: 'grace',
      pauseReason: 'drill',
      reason: 'manual',
    });
    expect(whilePaused.running?.status?.newKeyLabel).toMatch(/^sk-or-v1-/);
    expect(whilePaused.running?.status?.oldKeyLabel).toBe(whilePaused.activeKeyLabel);

    const resumed = await cli('resume', name);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('schedule          resumed');
    expect(resumed.stdout).toContain('running rotation  resume signal sent');
    await waitFor(async () => (await statusOf()).running?.status?.paused === false, {
      what: 'resumed status',
    });

    // Let it finish without waiting an hour.
    const ended = await cli('end-grace', name);
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toContain(`Ended the grace period of ${name}`);
    const handle = h.client.workflow.getHandle(rotationWorkflowId(name));
    const result = (await handle.result()) as RotationResult;
    const again = await cli('end-grace', name);
    expect(again.code, 'nothing to end: nothing changed').toBe(2);
    expect(again.stderr).toContain(`no rotation of ${name} is running`);
    expect(result.outcome).toBe('succeeded');

    const history = await waitFor(
      async () => {
        const runs = await cliJson<RotationRun[]>('history', name);
        return runs.length === 2 && runs[0]?.outcome === 'succeeded' ? runs : undefined;
      },
      { what: 'two rotations in history' },
    );
    expect(history[0]?.newKeyLabel).toBe(result.newKey?.label);
    expect(await cliJson<RotationRun[]>('history', name, '--limit', '1')).toHaveLength(1);
  }, 300_000);

  it('exits 1 with the failure message when the rotation fails, and status shows it as the last error', async () => {
    const broken = {
      ...rotation,
      openrouter: { ...rotation.openrouter, managementKeyEnv: 'TEST_OTHER_MANAGEMENT_KEY' },
    };
    const file = join(h.dir, 'broken.yaml');
    await writeFile(file, stringify({ version: 1, rotations: [broken] }));
    const keyBefore = await h.readKeyFrom('app.env');

    const run = await cli('rotate', name, '-f', file, '--wait');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `rotation of ${name} failed: preflight failed, nothing was changed: .*TEST_OTHER_MANAGEMENT_KEY`,
      ),
    );
    expect(await h.readKeyFrom('app.env')).toBe(keyBefore);

    const status = await waitFor(
      async () => {
        const s = await statusOf();
        return s.lastError ? s : undefined;
      },
      { what: 'last error in status' },
    );
    expect(status.lastError?.message).toMatch(/^preflight failed, nothing was changed/);
    expect(status.lastRun).toMatchObject({ status: 'FAILED', outcome: 'failed' });
    expect(status.activeKeyLabel).toBe(labelOfKey(keyBefore!));
  });
});
