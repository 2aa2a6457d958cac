/**
 * `key-rotator sweep` end to end: the binary (without any management key: the sweep runs on the
 * worker), the shared Temporal dev server, a real worker in this process and the emulator. It
 * finds keys key-rotator made that nothing holds, leaves held, running and in-use keys alone, and
 * deletes only with --delete.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import { statusQuery, type SweepResult } from '../../src/workflow-contract/messages.js';
import { jsonOf, runKeyRotator } from '../support/cli.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
let workers: RotationWorkers;
let running: Promise<void>;
let configFile: string;
const DAYS_AGO = (days: number) => new Date(Date.now() - days * 86_400_000);

/** The binary, pointed at this harness's codec key and task queue, and nothing else. */
function sweep(...args: string[]) {
  return runKeyRotator(['sweep', '-f', configFile, ...args], {
    env: { KEY_ROTATOR_CODEC_KEY: h.keyringJson, KEY_ROTATOR_TASK_QUEUE: h.taskQueue },
  });
}

beforeAll(async () => {
  h = await createRotationHarness();
  workers = await h.worker();
  running = workers.run();
  configFile = join(h.dir, 'rotations.yaml');
  const rotations = [
    h.rotation('sweep-held', {}, ['held.env']),
    h.rotation('sweep-running', { gracePeriod: '5m' }, ['running.env']),
  ];
  await writeFile(configFile, stringify({ version: 1, rotations }));
});
afterAll(async () => {
  workers?.shutdown();
  await running;
  await h?.close();
});

describe('key-rotator sweep', () => {
  it('finds planted orphans, leaves held, running and in-use keys alone, and deletes only with --delete', async () => {
    const { emulator } = h;
    // A key an earlier rotation made, which the destination holds.
    const held = emulator.seedKey({
      name: 'held key (key-rotator sweep-held 0a1b2c3d)',
      createdAt: DAYS_AGO(3),
    });
    await writeFile(join(h.dir, 'held.env'), `OPENROUTER_API_KEY=${held.key}\n`, { mode: 0o600 });
    // Orphans: one of a configured rotation (a crash outside any workflow), one of a rotation no
    // longer in the file, one still in use (free-model traffic today), one made minutes ago.
    const crashed = emulator.seedKey({
      name: 'held key (key-rotator sweep-held 9f8e7d6c)',
      createdAt: DAYS_AGO(2),
    });
    const unconfigured = emulator.seedKey({
      name: 'x (key-rotator retired-app 11112222)',
      createdAt: DAYS_AGO(40),
    });
    const inUse = emulator.seedKey({ name: 'x (key-rotator retired-app 33334444)', createdAt: DAYS_AGO(9) });
    await fetch(`${emulator.apiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inUse.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'some/model:free', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const fresh = emulator.seedKey({ name: 'x (key-rotator retired-app 55556666)' });
    const handMade = emulator.seedKey({ name: 'made in the web UI', createdAt: DAYS_AGO(5) });
    // A rotation in flight: its keys are its own, even one no destination holds.
    await h.adoptKey(['running.env']);
    const handle = await h.startRotation(h.rotation('sweep-running', { gracePeriod: '5m' }, ['running.env']));
    for (let i = 0; i < 300 && (await handle.query(statusQuery)).step !== 'grace'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const ofRunning = emulator.seedKey({
      name: 'y (key-rotator sweep-running 77778888)',
      createdAt: DAYS_AGO(1),
    });

    try {
      const dry = await sweep('--json');
      expect(dry.code, dry.stderr).toBe(0);
      const found = jsonOf<SweepResult>(dry);
      expect(found.dryRun).toBe(true);
      expect(found.orphans.map((o) => o.hash).sort()).toEqual(
        [crashed.hash, unconfigured.hash, inUse.hash].sort(),
      );
      expect(found.orphans.find((o) => o.hash === unconfigured.hash)).toMatchObject({
        rotation: 'retired-app',
        configured: false,
        deleted: false,
      });
      expect(found.orphans.find((o) => o.hash === inUse.hash)?.inUse).toMatch(
        /1 request\(s\) in the last 24 hours/,
      );
      expect(h.liveKeys().map((k) => k.hash)).toEqual(
        expect.arrayContaining([crashed.hash, unconfigured.hash, inUse.hash]),
      );

      const text = await sweep();
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/3 orphan\(s\)/);
      expect(text.stdout).toMatch(/Dry run: nothing deleted; --delete deletes the 2 orphan\(s\) not in use/);

      const deleting = await sweep('--delete', '--json');
      expect(deleting.code, deleting.stderr).toBe(0);
      const swept = jsonOf<SweepResult>(deleting);
      expect(
        swept.orphans
          .filter((o) => o.deleted)
          .map((o) => o.hash)
          .sort(),
      ).toEqual([crashed.hash, unconfigured.hash].sort());
      const live = h.liveKeys().map((k) => k.hash);
      expect(live).not.toContain(crashed.hash);
      expect(live).not.toContain(unconfigured.hash);
      expect(live).toEqual(
        expect.arrayContaining([held.hash, inUse.hash, fresh.hash, handMade.hash, ofRunning.hash]),
      );
    } finally {
      await handle.terminate('test done');
    }
  });
});
