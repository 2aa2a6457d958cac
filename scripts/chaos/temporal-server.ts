/**
 * The chaos run's own Temporal dev server: state in a SQLite file so that a restart (same file,
 * same port) keeps every workflow, its output appended to a log file that the run later searches
 * for keys, stopped by PID.
 */
import { closeSync, openSync } from 'node:fs';
import {
  freePort,
  startTemporalDevServer,
  type RunningDevServer,
} from '../../src/dev/temporal-dev-server.js';

export interface ChaosTemporalServerOptions {
  cliPath: string;
  /** SQLite file of the server's state. */
  dbFile: string;
  /** The server's stdout and stderr are appended here. */
  logFile: string;
}

export interface ChaosTemporalServer {
  /** host:port, the same across restarts. */
  address: string;
  namespace: string;
  /** Stops the server and starts it again on the same port and database file. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosTemporalServer(
  options: ChaosTemporalServerOptions,
): Promise<ChaosTemporalServer> {
  const port = await freePort();
  const start = async (): Promise<RunningDevServer> => {
    const log = openSync(options.logFile, 'a', 0o600);
    try {
      return await startTemporalDevServer({
        cliPath: options.cliPath,
        port,
        dbFile: options.dbFile,
        stdio: log,
      });
    } finally {
      closeSync(log); // the server holds its own copy
    }
  };
  let server: RunningDevServer | undefined = await start();
  return {
    address: server.address,
    namespace: server.namespace,
    async restart() {
      await server?.stop();
      server = undefined;
      server = await start();
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
  };
}
