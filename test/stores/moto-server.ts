/**
 * A real moto server (AWS service emulator) for AWS Secrets Manager tests: 127.0.0.1 on a free
 * port, a bounded start-up poll, stopped by PID.
 */
import { findFreePort, startServerProcess, venvTool } from '../support/net.js';

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
  const server = await startServerProcess({
    binary,
    args: ['-H', '127.0.0.1', '-p', String(port)],
    env: options.env,
    ready: async () => (await fetch(`${endpoint}/moto-api/`)).ok,
    what: `moto server at ${endpoint}`,
    startTimeoutMs: options.startTimeoutMs,
  });
  return {
    endpoint,
    pid: server.pid,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop: server.stop,
  };
}
