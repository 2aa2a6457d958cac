/**
 * Starts a local Temporal dev server (the real server, SQLite-backed) for tests and the local demo:
 * loopback only, our search attributes registered, a bounded readiness poll, stopped by PID.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { SEARCH_ATTRIBUTES } from '../workflow-contract/messages.js';
import { freePort, stopProcess } from './local-process.js';

export { freePort, stopProcess };

const run = promisify(execFile);

export interface DevServerOptions {
  /** Path of the temporal CLI binary. */
  cliPath: string;
  /** gRPC port; 0 picks a free one. @default 0 */
  port?: number;
  /** Serve the Web UI on this port (0 = free port); undefined = headless. */
  uiPort?: number;
  /** Remote codec endpoint the Web UI decodes payloads with (`--ui-codec-endpoint`); undefined = none. */
  uiCodecEndpoint?: string;
  /** SQLite file that keeps state across restarts; undefined = in memory. */
  dbFile?: string;
  /** @default "default" */
  namespace?: string;
  /** More namespaces to create at launch, each with our search attributes. @default [] */
  extraNamespaces?: string[];
  /** How long to wait for the server to answer health checks. @default 60000 */
  startTimeoutMs?: number;
  /** Where the server's output goes: nowhere, this process's, or an open file descriptor. @default "ignore" */
  stdio?: 'ignore' | 'inherit' | number;
}

export interface RunningDevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const port = options.port || (await freePort());
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  for (const extra of options.extraNamespaces ?? []) args.push('--namespace', extra);
  args.push('--log-level', 'error');
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-ip', '127.0.0.1', '--ui-port', String(options.uiPort || (await freePort())));
  if (options.uiPort !== undefined && options.uiCodecEndpoint)
    args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  // The metrics endpoint would otherwise take a fixed port shared by every dev server.
  args.push('--metrics-port', String(await freePort()));
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES))
    args.push('--search-attribute', `${name}=${type}`);

  const child = spawn(options.cliPath, args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
  });
  const address = `127.0.0.1:${port}`;
  const stop = () => stopProcess(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  try {
    await waitForHealth(options.cliPath, address, child, options.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const uiPortArg = args[args.indexOf('--ui-port') + 1];
  return {
    address,
    namespace,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${uiPortArg}`,
    pid: child.pid ?? -1,
    stop: async () => {
      process.off('exit', killOnExit);
      await stop();
    },
  };
}

async function waitForHealth(
  cli: string,
  address: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`temporal dev server exited early with code ${child.exitCode}`);
    try {
      await run(cli, ['operator', 'cluster', 'health', '--address', address], { timeout: 10_000 });
      return;
    } catch (err) {
      lastError = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`temporal dev server at ${address} not healthy after ${timeoutMs} ms: ${lastError}`);
}
