/**
 * The demo's consumer app against a real emulator: it sends its traffic with the key its file
 * holds, follows the file when the rotator replaces it, re-reads it when its key is refused, and
 * never logs a key.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsumer, type RunningConsumer } from '../../src/demo/consumer.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { labelOfKey } from '../../src/errors/redact.js';
import { waitFor } from '../support/net.js';

const dir = mkdtempSync(path.join(tmpdir(), 'demo-consumer-'));
let emulator: RunningEmulator;
const consumers: RunningConsumer[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await emulator.stop();
  rmSync(dir, { recursive: true, force: true });
});

function requestsWith(hash: string): number {
  return emulator.snapshot().keys.find((k) => k.hash === hash)?.request_count ?? 0;
}

/** Replaces the file the way the rotator does: a new file renamed over the old one. */
function replaceFile(file: string, key: string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, `# the app's key\nOPENROUTER_API_KEY=${key}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

function start(file: string, lines: string[], reportIntervalMs = 200): RunningConsumer {
  const consumer = startConsumer({
    keyFile: file,
    apiBaseUrl: emulator.apiBaseUrl,
    requestIntervalMs: 50,
    reportIntervalMs,
    filePollIntervalMs: 60_000,
    log: (line) => lines.push(line),
  });
  consumers.push(consumer);
  return consumer;
}

describe('the demo consumer', () => {
  it('moves its traffic to the new key as soon as the file is replaced, and logs labels only', async () => {
    const file = path.join(dir, 'rotated.env');
    const oldKey = emulator.seedKey({ name: 'old' });
    const newKey = emulator.seedKey({ name: 'new' });
    replaceFile(file, oldKey.key);
    const lines: string[] = [];
    const consumer = start(file, lines);
    await waitFor(async () => requestsWith(oldKey.hash) >= 3, { what: 'traffic with the old key' });

    replaceFile(file, newKey.key);
    await waitFor(async () => requestsWith(newKey.hash) >= 3, { what: 'traffic with the new key' });
    const oldCount = requestsWith(oldKey.hash);
    await waitFor(async () => requestsWith(newKey.hash) >= 6, { what: 'more traffic with the new key' });
    await consumer.stop();

    expect(requestsWith(oldKey.hash)).toBe(oldCount);
    const output = lines.join('\n');
    expect(output).toContain(`picked up the new key ${labelOfKey(newKey.key)}`);
    expect(output).toMatch(new RegExp(`ok with ${labelOfKey(newKey.key).replace(/[.]/g, '\\.')}`));
    expect(output).not.toContain(oldKey.key);
    expect(output).not.toContain(newKey.key);
  });

  it('reads the file again when its key is refused, even if the file looks unchanged', async () => {
    const file = path.join(dir, 'in-place.env');
    const oldKey = emulator.seedKey({ name: 'old in place' });
    const newKey = emulator.seedKey({ name: 'new in place' });
    replaceFile(file, oldKey.key);
    const mtime = 1_700_000_000;
    utimesSync(file, mtime, mtime);
    const consumer = start(file, []);
    await waitFor(async () => requestsWith(oldKey.hash) >= 2, { what: 'traffic with the old key' });

    // Same inode, size and mtime: only the 401 tells the app that something changed.
    writeFileSync(file, `# the app's key\nOPENROUTER_API_KEY=${newKey.key}\n`);
    utimesSync(file, mtime, mtime);
    await fetch(`${emulator.apiBaseUrl}/keys/${oldKey.hash}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${emulator.managementKey}` },
    });

    await waitFor(async () => requestsWith(newKey.hash) >= 2, {
      what: 'traffic with the new key after a 401',
    });
    await consumer.stop();
    const refused = consumer.totals().failed.get(labelOfKey(oldKey.key)) ?? 0;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(2);
  });

  it('prints when the outcome of its requests changes, not a line per request, and a summary per period', async () => {
    const file = path.join(dir, 'quiet.env');
    const key = emulator.seedKey({ name: 'quiet' });
    replaceFile(file, key.key);
    const lines: string[] = [];
    const consumer = start(file, lines, 1_500);
    await waitFor(async () => requestsWith(key.hash) >= 10, { what: 'ten requests' });
    const label = labelOfKey(key.key);
    expect(lines.filter((line) => line === `requests with ${label} work`)).toHaveLength(1);

    await fetch(`${emulator.apiBaseUrl}/keys/${key.hash}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${emulator.managementKey}` },
    });
    await waitFor(async () => ((consumer.totals().failed.get(label) ?? 0) >= 5 ? true : undefined), {
      what: 'five refused requests',
    });
    await waitFor(async () => (lines.some((line) => line.startsWith('last 1.5s: ')) ? true : undefined), {
      what: 'a summary line',
    });
    await consumer.stop();
    expect(lines.filter((line) => line === `requests with ${label} fail (HTTP 401)`)).toHaveLength(1);
    // Far fewer lines than requests: a key line, two outcome lines and the summaries.
    expect(lines.length).toBeLessThan(8);
  });

  it('waits for a key when the file does not exist yet', async () => {
    const file = path.join(dir, 'later', 'app.env');
    const key = emulator.seedKey({ name: 'later' });
    const lines: string[] = [];
    const consumer = start(file, lines);
    await waitFor(async () => consumer.totals().noKey >= 2, { what: 'requests skipped without a key' });

    mkdirSync(path.dirname(file));
    replaceFile(file, key.key);

    await waitFor(async () => requestsWith(key.hash) >= 2, { what: 'traffic once the file exists' });
    await consumer.stop();
    expect(lines.join('\n')).toContain('waiting for one');
  });
});
