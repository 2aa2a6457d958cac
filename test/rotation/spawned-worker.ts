/**
 * `key-rotator worker` code in a child process, configured by environment like production, with
 * everything it prints kept: for tests that check what a worker logs, or that kill it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChildProcess } from '../support/net.js';

const workerScript = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface SpawnedWorker {
  child: ChildProcess;
  /** Everything the worker wrote to stdout and stderr so far. */
  output(): string;
  /** Stops it (SIGTERM, then SIGKILL after a bounded wait). */
  stop(): Promise<void>;
}

/** Starts the worker with `env` added to this process's environment; resolves once it polls. */
export async function spawnWorker(
  env: Record<string, string>,
  startTimeoutMs = 60_000,
): Promise<SpawnedWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), startTimeoutMs);
    const onData = () => {
      if (!output.includes('worker polling')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output}`));
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    child,
    output: () => output,
    stop: () => stopChildProcess(child),
  };
}
