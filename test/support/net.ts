/**
 * Small generic helpers for tests that run real servers: a free loopback port, a bounded poll,
 * stopping a child process by PID, and finding the project-local server binaries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Path of an executable in the project venv (`$TOOLS_DIR/venv/bin`, default `.tools/venv/bin`),
 * installed by scripts/ensure-test-servers.sh; throws a clear error when it is missing.
 */
export function venvTool(name: string): string {
  const tools = process.env.TOOLS_DIR ?? path.join(repoRoot, '.tools');
  const file = path.join(tools, 'venv', 'bin', name);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run scripts/ensure-test-servers.sh to install the test servers`);
  }
  return file;
}

/** A TCP port that was free on 127.0.0.1 a moment ago; the same helper the dev tooling uses. */
import { freePort, stopProcess } from '../../src/dev/local-process.js';

export { freePort as findFreePort, stopProcess as stopChildProcess };

export interface WaitForOptions {
  /** Give up after this long. @default 30000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 200 */
  intervalMs?: number;
  /** What is being waited for, for the timeout message. @default "condition" */
  what?: string;
  /** Called before each attempt; throw to stop waiting at once (e.g. the server process exited). */
  abortIf?: () => void;
}

/**
 * Calls `probe` until it returns a value other than undefined/false, or throws after the timeout
 * with the last error the probe raised.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    options.abortIf?.();
    try {
      const result = await probe();
      if (result !== undefined && result !== false) return result;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${options.what ?? 'condition'} not reached after ${timeoutMs} ms${lastError ? `: ${lastError}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/**
 * Makes sure `child` dies with the test process even if a test run is interrupted before its
 * afterAll hook; returns a function that removes the safeguard.
 */
export function killOnExit(child: ChildProcess): () => void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return () => process.off('exit', kill);
}

export interface ServerProcessOptions {
  /** Executable to run (see {@link venvTool}). */
  binary: string;
  args: string[];
  /** Extra environment on top of this process's. */
  env?: Record<string, string>;
  /** Answers true once the server serves requests. */
  ready: () => Promise<boolean>;
  /** What is started, for messages, e.g. "moto server at http://127.0.0.1:1234". */
  what: string;
  /** @default 30000 */
  startTimeoutMs?: number;
}

export interface ServerProcess {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a test server process, waits (bounded) until `ready`, and returns how to stop it by PID.
 * If it exits or never gets ready, it is stopped and the error carries the tail of its stderr.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = spawn(options.binary, options.args, {
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
    await stopProcess(child);
  };
  try {
    await waitFor(options.ready, {
      timeoutMs: options.startTimeoutMs ?? 30_000,
      what: options.what,
      abortIf: () => {
        if (child.exitCode !== null) {
          throw new Error(
            `${path.basename(options.binary)} exited with code ${child.exitCode}: ${output.join('')}`,
          );
        }
      },
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid ?? -1, stop };
}
