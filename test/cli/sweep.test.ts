/**
 * `key-rotator sweep` end to end: the binary (without any management key: the sweep runs on the
 * worker), the shared Temporal dev server, a real worker in this process and the emulator. It
 * finds keys key-rotator made for the file's rotations, in the file's workspaces, that nothing
 * holds; leaves held, running, in-use and uncountable keys alone, and another deployment's keys;
 * and deletes only with --delete, after asking on a terminal or with --yes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RotationConfig } from '../../src/config/schema.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import { statusQuery, type SweepResult } from '../../src/workflow-contract/messages.js';
import { jsonOf, runKeyRotator, startKeyRotatorOnTerminal } from '../support/cli.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

let h: RotationHarness;
let workers: RotationWorkers;
let running: Promise<void>;
const DAYS_AGO = (days: number) => new Date(Date.now() - days * 86_400_000);

/** The binary's environment: this harness's codec key and task queue, and nothing else. */
const cliEnv = () => ({ KEY_ROTATOR_CODEC_KEY: h.keyringJson, KEY_ROTATOR_TASK_QUEUE: h.taskQueue });

/** A rotations file of `rotations`, in the harness's folder. */
async function rotationsFile(name: string, rotations: RotationConfig[]): Promise<string> {
  const file = join(h.dir, name);
  await writeFile(file, stringify({ version: 1, rotations }));
  return file;
}

function sweep(file: string, ...args: string[]) {
  return runKeyRotator(['sweep', '-f', file, ...args], { env: cliEnv() });
}

const liveHashes = () => h.liveKeys().map((k) => k.hash);

beforeAll(async () => {
  h = await createRotationHarness();
  workers = await h.worker();
  running = workers.run();
});
afterAll(async () => {
  workers?.shutdown();
  await running;
  await h?.close();
});

describe('key-rotator sweep', () => {
  it("finds the file's orphans, leaves held, running and in-use keys alone, and deletes only with --delete --yes", async () => {
    const { emulator } = h;
    const file = await rotationsFile('rotations.yaml', [
      h.rotation('sweep-held', {}, ['held.env']),
      h.rotation('sweep-running', { gracePeriod: '5m' }, ['running.env']),
    ]);
    // A key an earlier rotation made, which the destination holds.
    const held = emulator.seedKey({
      name: 'held key (key-rotator sweep-held 0a1b2c3d)',
      createdAt: DAYS_AGO(3),
    });
    await writeFile(join(h.dir, 'held.env'), `OPENROUTER_API_KEY=${held.key}\n`, { mode: 0o600 });
    // Orphans of a configured rotation: one left by a crash outside any workflow, one still in use
    // (free-model traffic today), one made minutes ago.
    const crashed = emulator.seedKey({
      name: 'held key (key-rotator sweep-held 9f8e7d6c)',
      createdAt: DAYS_AGO(2),
    });
    const inUse = emulator.seedKey({
      name: 'held key (key-rotator sweep-held 33334444)',
      createdAt: DAYS_AGO(9),
    });
    await fetch(`${emulator.apiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inUse.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'some/model:free', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const fresh = emulator.seedKey({ name: 'held key (key-rotator sweep-held 55556666)' });
    // A key of a rotation no longer in the file: only --all-rotations looks for it.
    const unconfigured = emulator.seedKey({
      name: 'x (key-rotator retired-app 11112222)',
      createdAt: DAYS_AGO(40),
    });
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
      const dry = await sweep(file, '--json');
      expect(dry.code, dry.stderr).toBe(0);
      const found = jsonOf<SweepResult>(dry);
      expect(found.dryRun).toBe(true);
      expect(found.orphans.map((o) => o.hash).sort()).toEqual([crashed.hash, inUse.hash].sort());
      expect(found.orphans.find((o) => o.hash === inUse.hash)?.inUse).toMatch(
        /1 request\(s\) in the last 24 hours/,
      );

      const text = await sweep(file);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/2 orphan\(s\)/);
      expect(text.stdout).toMatch(/Dry run: nothing deleted; --delete deletes the 1 orphan\(s\) not in use/);

      const everyRotation = jsonOf<SweepResult>(await sweep(file, '--all-rotations', '--json'));
      expect(everyRotation.orphans.map((o) => o.hash).sort()).toEqual(
        [crashed.hash, inUse.hash, unconfigured.hash].sort(),
      );
      expect(everyRotation.orphans.find((o) => o.hash === unconfigured.hash)).toMatchObject({
        rotation: 'retired-app',
        configured: false,
        deleted: false,
      });

      // No terminal to ask at and no --yes: refused, nothing deleted.
      const unasked = await sweep(file, '--delete', '--json');
      expect(unasked.code).toBe(2);
      expect(unasked.stderr).toMatch(/stdin is not a terminal: add --yes/);
      expect(unasked.stdout).toBe('');
      expect(liveHashes()).toEqual(expect.arrayContaining([crashed.hash, inUse.hash, unconfigured.hash]));

      const deleting = await sweep(file, '--delete', '--yes', '--json');
      expect(deleting.code, deleting.stderr).toBe(0);
      const swept = jsonOf<SweepResult>(deleting);
      expect(swept.orphans.filter((o) => o.deleted).map((o) => o.hash)).toEqual([crashed.hash]);
      expect(liveHashes()).not.toContain(crashed.hash);
      expect(liveHashes()).toEqual(
        expect.arrayContaining([
          held.hash,
          inUse.hash,
          fresh.hash,
          unconfigured.hash,
          handMade.hash,
          ofRunning.hash,
        ]),
      );

      const retired = jsonOf<SweepResult>(
        await sweep(file, '--delete', '--yes', '--all-rotations', '--json'),
      );
      expect(retired.orphans.filter((o) => o.deleted).map((o) => o.hash)).toEqual([unconfigured.hash]);
      expect(liveHashes()).not.toContain(unconfigured.hash);
    } finally {
      await handle.terminate('test done');
    }
  });

  it("leaves a second deployment's idle key alone when the two share a management key", async () => {
    const ours = h.rotation('deployment-a', {}, ['a.env']);
    const theirs = h.rotation('deployment-b', {}, ['b.env']);
    const fileA = await rotationsFile('deployment-a.yaml', [ours]);
    await rotationsFile('deployment-b.yaml', [theirs]);
    await h.adoptKey(['a.env']);
    // The other deployment's live key, made by its last rotation: its file holds it, ours does not.
    const theirLive = h.emulator.seedKey({
      name: 'deployment-b key (key-rotator deployment-b 2468ace0)',
      createdAt: DAYS_AGO(6),
    });
    await writeFile(join(h.dir, 'b.env'), `OPENROUTER_API_KEY=${theirLive.key}\n`, { mode: 0o600 });
    const ourOrphan = h.emulator.seedKey({
      name: 'deployment-a key (key-rotator deployment-a 13579bdf)',
      createdAt: DAYS_AGO(6),
    });

    const run = await sweep(fileA, '--delete', '--yes', '--json');
    expect(run.code, run.stderr).toBe(0);
    const result = jsonOf<SweepResult>(run);
    expect(result.orphans.map((o) => [o.hash, o.deleted])).toEqual([[ourOrphan.hash, true]]);
    expect(liveHashes()).toContain(theirLive.hash);
    expect(liveHashes()).not.toContain(ourOrphan.hash);
  });

  it("searches only the file's workspaces", async () => {
    const other = h.emulator.account.addWorkspace({ name: 'another team' });
    const file = await rotationsFile('default-workspace.yaml', [h.rotation('sweep-ws', {}, ['ws.env'])]);
    await h.adoptKey(['ws.env']);
    const elsewhere = h.emulator.seedKey({
      name: 'sweep-ws key (key-rotator sweep-ws 0f0f0f0f)',
      createdAt: DAYS_AGO(3),
      workspaceId: other.id,
    });
    const here = h.emulator.seedKey({
      name: 'sweep-ws key (key-rotator sweep-ws 1e1e1e1e)',
      createdAt: DAYS_AGO(3),
    });

    const result = jsonOf<SweepResult>(await sweep(file, '--delete', '--yes', '--json'));
    expect(result.orphans.map((o) => [o.hash, o.deleted])).toEqual([[here.hash, true]]);
    expect(liveHashes()).toContain(elsewhere.hash);

    // A rotation that uses the other workspace brings it into the search.
    const both = await rotationsFile('both-workspaces.yaml', [
      h.rotation('sweep-ws', {}, ['ws.env']),
      h.rotation(
        'sweep-ws-other',
        { openrouter: { ...h.rotation('sweep-ws-other').openrouter, workspaceId: other.id } },
        ['ws-other.env'],
      ),
    ]);
    await h.adoptKey(['ws-other.env']);
    const dry = jsonOf<SweepResult>(await sweep(both, '--json'));
    expect(dry.orphans.map((o) => o.hash)).toEqual([elsewhere.hash]);
  });

  it('keeps an orphan whose traffic cannot be counted', async () => {
    const file = await rotationsFile('uncounted.yaml', [
      h.rotation('sweep-uncounted', {}, ['uncounted.env']),
    ]);
    await h.adoptKey(['uncounted.env']);
    // Idle in USD today; its requests (yesterday's, BYOK, free models) are what analytics would count.
    const orphan = h.emulator.seedKey({
      name: 'sweep-uncounted key (key-rotator sweep-uncounted 2c2c2c2c)',
      createdAt: DAYS_AGO(3),
    });
    h.emulator.setFaults({
      scripted: [{ method: 'POST', path: '^/api/v1/analytics/query$', status: 403, count: 100 }],
    });
    try {
      const result = jsonOf<SweepResult>(await sweep(file, '--delete', '--yes', '--json'));
      expect(result.orphans).toEqual([
        expect.objectContaining({
          hash: orphan.hash,
          deleted: false,
          inUse: expect.stringMatching(/could not be counted/),
        }),
      ]);
      expect(liveHashes()).toContain(orphan.hash);
    } finally {
      h.emulator.setFaults({});
    }
  });

  it('asks on a terminal before deleting, and deletes nothing unless the answer is yes', async () => {
    const file = await rotationsFile('asked.yaml', [h.rotation('sweep-asked', {}, ['asked.env'])]);
    await h.adoptKey(['asked.env']);
    const orphan = h.emulator.seedKey({
      name: 'sweep-asked key (key-rotator sweep-asked 3d3d3d3d)',
      createdAt: DAYS_AGO(3),
    });

    const declined = startKeyRotatorOnTerminal(['sweep', '-f', file, '--delete'], { env: cliEnv() });
    await declined.waitForOutput(/Type "yes" to delete: /);
    expect(declined.output()).toContain('sweep-asked key (key-rotator sweep-asked 3d3d3d3d)');
    declined.type('n\r');
    expect(await declined.exited).toBe(2);
    expect(declined.output()).toMatch(/not confirmed: nothing was deleted/);
    expect(liveHashes()).toContain(orphan.hash);

    const confirmed = startKeyRotatorOnTerminal(['sweep', '-f', file, '--delete'], { env: cliEnv() });
    await confirmed.waitForOutput(/Type "yes" to delete: /);
    confirmed.type('yes\r');
    expect(await confirmed.exited).toBe(0);
    expect(confirmed.output()).toMatch(/Deleted 1 orphan\(s\)/);
    expect(liveHashes()).not.toContain(orphan.hash);
  });
});
