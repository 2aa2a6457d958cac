/**
 * The demo's fixed ports (7233, 8233, 8787, 9464): checked before anything starts, so a taken port
 * gets one clear sentence instead of a server's stack trace.
 */
import { createServer } from 'node:net';
import { freePort } from '../dev/temporal-dev-server.js';
import { ConfigError } from '../errors/rotator-errors.js';

/** A port the demo needs is taken by another process. */
export class PortInUseError extends ConfigError {}

/** Default Prometheus port of the worker's metrics. */
export const DEFAULT_METRICS_PORT = 9464;

/** Whether 127.0.0.1:`port` can be bound right now. */
export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Throws {@link PortInUseError} when `port` is taken; port 0 (any free port) always passes.
 * @param what what the port is for, e.g. "the Temporal dev server"
 * @param envName the variable that moves it
 */
export async function ensurePortFree(port: number, what: string, envName: string): Promise<void> {
  if (port === 0 || (await isPortFree(port))) return;
  throw new PortInUseError(
    `port ${port} (${what}) is already in use on 127.0.0.1: is another \`npm start\` (or a Temporal ` +
      `server) still running? Stop it, or choose another port with ${envName}=<port> (0 = any free port).`,
  );
}

/** `host:port` for the worker's metrics: the given address, else 127.0.0.1:9464 when free, else any free port. */
export async function metricsAddressFor(configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const port = (await isPortFree(DEFAULT_METRICS_PORT)) ? DEFAULT_METRICS_PORT : await freePort();
  return `127.0.0.1:${port}`;
}
