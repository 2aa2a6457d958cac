/**
 * The worker under test: `node bin/key-rotator.js worker`, started directly with node so that the
 * PID we SIGKILL is the process running the worker (bin/key-rotator.js loads tsx in-process, no
 * wrapper). Its output is appended to the worker log. A worker that exits on its own (e.g. while
 * the Temporal server restarts) is counted and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { KEY_ROTATOR_BIN } from './key-rotator-cli.js';

export interface ChaosWorkerOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  /** How long one start may take, retries included. @default 180000 */
  startTimeoutMs?: number;
  log(line: string): void;
}

export interface ChaosWorkerFigures {
  starts: number;
  kills: number;
  /** Exits nobody asked for (the worker gave up, e.g. on a Temporal server that was down). */
  unexpectedExits: number;
}

export interface ChaosWorker {
  /** Starts the worker and resolves once it polls; retries (bounded) while it exits early. */
  start(): Promise<void>;
  /** SIGKILL: no chance to finish anything. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), for the end of the run. */
  stop(): Promise<void>;
  figures(): ChaosWorkerFigures;
}

/** What the worker prints once it is set up (src/worker/run-worker.ts). */
const READY_LINE = 'worker polling task queue';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function chaosWorker(options: ChaosWorkerOptions): ChaosWorker {
  const logStream = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
  const figures: ChaosWorkerFigures = { starts: 0, kills: 0, unexpectedExits: 0 };
  let current: ChildProcess | undefined;
  let starting: Promise<void> | undefined;
  let stopping = false;

  const killOnExit = () => current?.kill('SIGKILL');
  process.once('exit', killOnExit);

  /** One worker process, resolved once it is ready; rejected if it exits first or takes too long. */
  function spawnOnce(timeoutMs: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, [KEY_ROTATOR_BIN, 'worker'], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(logStream, { end: false });
    child.stderr!.pipe(logStream, { end: false });
    return new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the worker was not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-2_000);
        if (seen.includes(READY_LINE)) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(child);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the worker exited before it was ready (${signal ?? `code ${code}`})`));
      });
    });
  }

  function watch(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (current !== child) return; // killed on purpose
      current = undefined;
      if (stopping) return;
      figures.unexpectedExits += 1;
      options.log(
        `worker pid ${child.pid} exited on its own (${signal ?? `code ${code}`}); starting another`,
      );
      start().catch((err: unknown) => options.log(`worker restart failed: ${String(err)}`));
    });
  }

  function start(): Promise<void> {
    starting ??= (async () => {
      const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
      for (;;) {
        try {
          const child = await spawnOnce(Math.max(1_000, deadline - Date.now()));
          current = child;
          figures.starts += 1;
          watch(child);
          options.log(`worker pid ${child.pid} ready`);
          return;
        } catch (err) {
          if (stopping || Date.now() >= deadline) throw err;
          options.log(`${err instanceof Error ? err.message : String(err)}; trying again`);
          await delay(1_000);
        }
      }
    })().finally(() => {
      starting = undefined;
    });
    return starting;
  }

  return {
    start,
    async kill() {
      await starting?.catch(() => undefined);
      const child = current;
      if (!child) return;
      current = undefined;
      child.kill('SIGKILL');
      await exited(child);
      figures.kills += 1;
      options.log(`worker pid ${child.pid} SIGKILLed`);
    },
    async stop() {
      stopping = true;
      await starting?.catch(() => undefined);
      const child = current;
      current = undefined;
      if (child) {
        const gone = exited(child);
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
      await new Promise<void>((resolve) => logStream.end(() => resolve()));
    },
    figures: () => ({ ...figures }),
  };
}
