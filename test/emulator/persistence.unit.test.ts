/**
 * The emulator with a state file (the offline demo's): a restart resumes with the same keys, usage
 * and deletions, the file is 0600 and holds no key, and callers are still recognised by hash.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateOpenRouterKey } from '../../src/emulator/key-store.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'emulator-persistence-'));
const running: RunningEmulator[] = [];

afterAll(async () => {
  await Promise.all(running.map((e) => e.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(stateFile: string, managementKey: string): Promise<RunningEmulator> {
  const emulator = await startEmulator({ stateFile, managementKey, costPerRequestUsd: 0.5 });
  running.push(emulator);
  return emulator;
}

async function call(
  emulator: RunningEmulator,
  method: string,
  route: string,
  bearer: string,
  body?: unknown,
) {
  const res = await fetch(`${emulator.apiBaseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const complete = (emulator: RunningEmulator, key: string) =>
  call(emulator, 'POST', '/chat/completions', key, { messages: [{ role: 'user', content: 'hi' }] });

describe('an emulator with a state file', () => {
  it('resumes after a restart with the same keys, usage and deletions, and stores no key', async () => {
    const stateFile = path.join(dir, 'state', 'emulator-state.json');
    const managementKey = generateOpenRouterKey();
    const first = await start(stateFile, managementKey);
    const seeded = first.seedKey({ name: 'by hand', createdAt: new Date('2020-01-01T00:00:00Z') });
    const created = await call(first, 'POST', '/keys', managementKey, { name: 'app', limit: 10 });
    const createdKey = String(created.json.key);
    const doomed = first.seedKey({ name: 'doomed' });
    expect((await complete(first, seeded.key)).status).toBe(200);
    expect((await complete(first, createdKey)).status).toBe(200);
    expect((await call(first, 'DELETE', `/keys/${doomed.hash}`, managementKey)).status).toBe(200);
    const before = first.snapshot().keys;
    await first.stop();

    const text = readFileSync(stateFile, 'utf8');
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    for (const secret of [seeded.key, createdKey, doomed.key, managementKey])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/sk-or-v1-[0-9a-f]{64}/);

    const second = await start(stateFile, managementKey);
    expect(second.snapshot().keys).toEqual(before);
    expect((await complete(second, seeded.key)).status).toBe(200);
    expect((await complete(second, createdKey)).status).toBe(200);
    expect((await complete(second, doomed.key)).status).toBe(401);
    const listed = await call(second, 'GET', '/keys', managementKey);
    expect((listed.json.data as { name: string }[]).map((k) => k.name)).toEqual(['app', 'by hand']);
    const current = await call(second, 'GET', '/key', createdKey);
    expect(current.json.data).toMatchObject({ usage: 1, limit_remaining: 9 });
    await second.stop();

    // A key created after the restart gets the next creation order, and is saved too.
    const third = await start(stateFile, managementKey);
    const later = third.seedKey({ name: 'later' });
    await third.stop();
    const fourth = await start(stateFile, managementKey);
    const names = fourth.snapshot().keys.map((k) => k.name);
    expect(names).toEqual(['by hand', 'app', 'doomed', 'later']);
    expect((await complete(fourth, later.key)).status).toBe(200);
  });

  it('refuses a damaged state file with a message that says what to do', async () => {
    const stateFile = path.join(dir, 'damaged.json');
    writeFileSync(stateFile, '{"version": 1, "keys": [{"hash": "nope"}]}');

    await expect(startEmulator({ stateFile })).rejects.toThrow(/damaged\.json: keys\.0\.hash.*delete it/);
  });
});
