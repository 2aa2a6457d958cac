/**
 * A real OpenBao dev server (Vault-compatible, KV v2 at `secret/`) for Vault tests: in memory,
 * 127.0.0.1 on a free port, a random root token, a bounded start-up poll, stopped by PID.
 */
import { randomUUID } from 'node:crypto';
import { findFreePort, startServerProcess, venvTool } from '../support/net.js';

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
  const server = await startServerProcess({
    binary,
    args: [
      'server',
      '-dev',
      `-dev-root-token-id=${rootToken}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      '-dev-no-store-token', // do not write ~/.vault-token
      '-log-level=error',
    ],
    ready: async () => (await fetch(`${address}/v1/sys/health`)).status === 200,
    what: `OpenBao dev server at ${address}`,
    startTimeoutMs: options.startTimeoutMs,
  });
  return { address, rootToken, pid: server.pid, stop: server.stop };
}
