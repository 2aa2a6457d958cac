/**
 * The `emulator` command as a user runs it: a separate process that prints one line with its URL,
 * keeps the management key in a 0600 file (never on screen), and stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateManagementKey } from '../../src/emulator/main.js';

const MAIN = pathToFileURL(path.resolve('src/emulator/main.ts')).href;
const START_TIMEOUT_MS = 30_000;

const dir = mkdtempSync(path.join(tmpdir(), 'emulator-command-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the command and resolves with its first stdout line (bounded wait). */
function startCommand(keyFile: string): Promise<{ firstLine: string; output: () => string }> {
  const script = `import { runEmulatorCommand } from ${JSON.stringify(MAIN)};
await runEmulatorCommand({ port: 0, host: '127.0.0.1', managementKeyFile: ${JSON.stringify(keyFile)} });`;
  child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL line within ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    child?.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve({ firstLine: stdout.slice(0, newline), output: () => stdout + stderr });
      }
    });
    child?.once('exit', (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });
}

describe('the emulator command', () => {
  it('prints its URL, keeps the generated key in a 0600 file, and stops on SIGTERM', async () => {
    const keyFile = path.join(dir, 'management-key');

    const { firstLine, output } = await startCommand(keyFile);

    const match = /^OpenRouter emulator listening on (http:\/\/127\.0\.0\.1:\d+\/api\/v1)$/.exec(firstLine);
    expect(match).not.toBeNull();
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^sk-or-v1-[0-9a-f]{64}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const res = await fetch(`${match?.[1]}/key`, { headers: { authorization: `Bearer ${key}` } });
    expect(await res.json()).toMatchObject({ data: { is_management_key: true } });

    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    if (child?.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).not.toContain(key);
    // The URL, then one line per request: who asked (never the key itself) and the answer.
    expect(output().trim().split('\n')).toEqual([firstLine, 'GET /api/v1/key 200 by management key']);
    expect(await loadOrCreateManagementKey(keyFile)).toBe(key); // a restart keeps the key
  });
});
