/**
 * A real moto server (AWS service emulator) for AWS Secrets Manager tests: 127.0.0.1 on a free
 * port, a bounded start-up poll, stopped by PID.
 */
import { spawn } from 'node:child_process';
import { findFreePort, killOnExit, stopChildProcess, venvTool, waitFor } from './net.js';

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  pid: number;
  /** Wipes every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /**
   * Extra environment for moto, e.g. `{ INITIAL_NO_AUTH_ACTION_COUNT: '0' }` to make it check
   * credentials against its IAM (so unknown access keys are refused).
   */
  env?: Record<string, string>;
  /** @default 30000 */
  startTimeoutMs?: number;
}

export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const binary = venvTool('moto_server');
  const port = await findFreePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  });
  const forget = killOnExit(child);
  const stop = async () => {
    forget();
    await stopChildProcess(child);
  };
  try {
    await waitFor(async () => (await fetch(`${endpoint}/moto-api/`)).ok, {
      timeoutMs: options.startTimeoutMs ?? 30_000,
      what: `moto server at ${endpoint}`,
      abortIf: () => {
        if (child.exitCode !== null)
          throw new Error(`moto_server exited with code ${child.exitCode}: ${output.join('')}`);
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoint,
    pid: child.pid ?? -1,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop,
  };
}
