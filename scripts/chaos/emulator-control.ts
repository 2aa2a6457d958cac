/**
 * The chaos run's view of the OpenRouter emulator: its control API under `/_emulator/` (state
 * with deletion times, faults, hand-made keys), as any process could use it, and a request log
 * written from the state it reads.
 */
import { appendFileSync } from 'node:fs';
import type { EmulatorStateSnapshot, FaultConfig, RequestLogEntry } from '../../src/emulator/server.js';

export interface EmulatorControl {
  state(): Promise<EmulatorStateSnapshot>;
  setFaults(faults: FaultConfig): Promise<void>;
  /** A key "created by hand" long ago (old enough for a scheduled rotation to be due). */
  seedKey(name: string, createdAt: Date): Promise<{ key: string; hash: string }>;
}

export function emulatorControl(emulatorUrl: string, managementKey: string): EmulatorControl {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${emulatorUrl}/_emulator/${path}`, {
      method,
      headers: { authorization: `Bearer ${managementKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`emulator control ${method} ${path} answered ${response.status}`);
    return response.json();
  };
  return {
    state: async () => (await call('GET', 'state')) as EmulatorStateSnapshot,
    setFaults: async (faults) => void (await call('PUT', 'faults', faults)),
    seedKey: async (name, createdAt) =>
      (await call('POST', 'keys', { name, createdAt: createdAt.toISOString() })) as {
        key: string;
        hash: string;
      },
  };
}

/**
 * Appends the emulator's API requests (method, path, status; no headers or bodies) to `file`, from
 * the last-1000 window of each state it is given, skipping the ones already written.
 */
export function emulatorRequestLog(file: string): (state: EmulatorStateSnapshot) => void {
  let lastAt = 0;
  let writtenAtLast = 0;
  return (state) => {
    const lines: string[] = [];
    const fresh: RequestLogEntry[] = [];
    let atLast = 0;
    for (const request of state.requests) {
      if (request.receivedAt < lastAt) continue;
      if (request.receivedAt === lastAt && ++atLast <= writtenAtLast) continue;
      fresh.push(request);
    }
    for (const r of fresh) {
      lines.push(`${new Date(r.receivedAt).toISOString()} ${r.method} ${r.path} ${r.status || 'dropped'}`);
    }
    const newest = fresh.at(-1);
    if (newest) {
      const sameMs = state.requests.filter((r) => r.receivedAt === newest.receivedAt).length;
      writtenAtLast = sameMs;
      lastAt = newest.receivedAt;
      appendFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
    }
  };
}
