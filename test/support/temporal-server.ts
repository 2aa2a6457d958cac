/**
 * The real Temporal server (`temporal-server start`, built from the pinned Go module in
 * scripts/go/temporal-server by scripts/ensure-go-test-servers.sh), configured the way the
 * temporalio/server image configures it: no config file, so the server renders its embedded
 * config template from environment variables (DB, POSTGRES_SEEDS, ...), which the caller takes
 * from docker-compose.yml. Every service port is moved to a free loopback port, the working folder
 * stands in for the image's /etc/temporal (its `config/dynamicconfig` is what compose mounts
 * there), the output goes to a log file, and the process is stopped by PID; `restart()` brings it
 * back on the same ports and database.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { killOnExit, waitFor } from './net.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A Go test server built by scripts/ensure-go-test-servers.sh; throws how to build it when missing. */
export function goTestServer(name: string): string {
  const tools = process.env.TOOLS_DIR ?? path.join(repoRoot, '.tools');
  const file = path.join(tools, 'bin', name);
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: run \`bash scripts/ensure-go-test-servers.sh ${name}\` (the first build takes minutes)`,
    );
  }
  return file;
}

/** The services' ports of the embedded config template, each set from its own variable. */
const PORT_VARIABLES = [
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;

export interface TemporalServerOptions {
  /** The server's environment as the image would get it (compose `environment:`), minus ports. */
  env: Record<string, string>;
  /** The image's WORKDIR stand-in (relative paths such as DYNAMIC_CONFIG_FILE_PATH resolve here). */
  workDir: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** `temporal` CLI, for the health check. */
  cliPath: string;
  /** @default 180000 */
  startTimeoutMs?: number;
}

export interface TemporalServer {
  /** 127.0.0.1:<frontend gRPC port>, the same across restarts. */
  address: string;
  /** PID of the running server process. */
  readonly pid: number;
  /** SIGTERM (graceful), then start again with the same ports and database. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A free port below 32768: the SQL schemas keep membership ports in a smallint column
 * (cluster_membership.rpc_port), and the kernel's ephemeral ports (what port 0 gives) are above it.
 */
async function freePortBelow32768(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await canBind(port))) return port;
  }
  throw new Error('no free port between 20000 and 32000 on 127.0.0.1');
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const binary = goTestServer('temporal-server');
  const ports: Record<string, string> = {};
  const taken = new Set<number>();
  for (const variable of PORT_VARIABLES) {
    const port = await freePortBelow32768(taken);
    taken.add(port);
    ports[variable] = String(port);
  }
  const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
  const env = {
    // Only what the image has: PATH and HOME, not this test process's TEMPORAL_* or KEY_ROTATOR_*.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.workDir,
    ...options.env,
    ...ports,
  };

  let child: ChildProcess | undefined;
  let forget = () => undefined as void;

  const stopCurrent = async () => {
    const current = child;
    child = undefined;
    forget();
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGTERM');
    const timer = setTimeout(() => current.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };

  const start = async () => {
    const log = openSync(options.logFile, 'a', 0o600);
    try {
      child = spawn(binary, ['start'], { cwd: options.workDir, env, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    const started = child;
    forget = killOnExit(started);
    try {
      await waitFor(
        async () => {
          await run(options.cliPath, ['operator', 'cluster', 'health', '--address', address], {
            timeout: 10_000,
            env: { ...env, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' },
          });
          return true;
        },
        {
          timeoutMs: options.startTimeoutMs ?? 180_000,
          intervalMs: 1_000,
          what: `Temporal server at ${address}`,
          abortIf: () => {
            if (started.exitCode !== null) {
              const tail = readFileSync(options.logFile, 'utf8').split('\n').slice(-30).join('\n');
              throw new Error(`temporal-server exited with code ${started.exitCode}:\n${tail}`);
            }
          },
        },
      );
    } catch (err) {
      await stopCurrent();
      throw err;
    }
  };

  await start();
  return {
    address,
    get pid() {
      return child?.pid ?? -1;
    },
    async restart() {
      await stopCurrent();
      await start();
    },
    stop: stopCurrent,
  };
}
