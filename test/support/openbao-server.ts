/**
 * A real OpenBao dev server (Vault-compatible, KV v2 at `secret/`) for Vault tests: in memory,
 * 127.0.0.1 on a free port, a random root token, a bounded start-up poll, stopped by PID.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { findFreePort, killOnExit, stopChildProcess, venvTool, waitFor } from './net.js';

export interface OpenBaoServer {
  /** e.g. http://127.0.0.1:40123 */
  address: string;
  rootToken: string;
  pid: number;
  stop(): Promise<void>;
}

export interface OpenBaoServerOptions {
  /** @default 30000 */
  startTimeoutMs?: number;
}

export async function startOpenBaoServer(options: OpenBaoServerOptions = {}): Promise<OpenBaoServer> {
  const binary = venvTool('bao');
  const port = await findFreePort();
  const address = `http://127.0.0.1:${port}`;
  const rootToken = `root-${randomUUID()}`;
  const child = spawn(
    binary,
    [
      'server',
      '-dev',
      `-dev-root-token-id=${rootToken}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      '-dev-no-store-token', // do not write ~/.vault-token
      '-log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
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
    await waitFor(
      async () => {
        const response = await fetch(`${address}/v1/sys/health`);
        return response.status === 200;
      },
      {
        timeoutMs: options.startTimeoutMs ?? 30_000,
        what: `OpenBao dev server at ${address}`,
        abortIf: () => {
          if (child.exitCode !== null)
            throw new Error(`bao exited with code ${child.exitCode}: ${output.join('')}`);
        },
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, rootToken, pid: child.pid ?? -1, stop };
}
