/**
 * `npm start` (`bash scripts/start-local.sh`) for tests: on free ports and its own data folder,
 * never reinstalling node_modules, and stopped with Ctrl-C (SIGINT) like a user stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { findFreePort } from '../support/net.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface LocalStackPorts {
  temporal: number;
  ui: number;
  codec: number;
  emulator: number;
  metrics: number;
}

export interface RunningLocalStack {
  child: ChildProcess;
  ports: LocalStackPorts;
  dataDir: string;
  /** Everything it printed so far, stdout and stderr as they arrived. */
  output(): string;
  exited: Promise<number | null>;
  /** Throws when the stack has exited (for `waitFor`'s abortIf). */
  assertRunning(): void;
  /** Ctrl-C, then waits (bounded) for it to exit; SIGKILL if it does not. */
  stop(timeoutMs?: number): Promise<number | null | 'killed'>;
}

export async function freeLocalStackPorts(): Promise<LocalStackPorts> {
  return {
    temporal: await findFreePort(),
    ui: await findFreePort(),
    codec: await findFreePort(),
    emulator: await findFreePort(),
    metrics: await findFreePort(),
  };
}

export function startLocalStack(ports: LocalStackPorts, dataDir: string): RunningLocalStack {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEY_ROTATOR_DEMO_DATA_DIR: dataDir,
    KEY_ROTATOR_DEMO_TEMPORAL_PORT: String(ports.temporal),
    KEY_ROTATOR_DEMO_UI_PORT: String(ports.ui),
    KEY_ROTATOR_DEMO_CODEC_PORT: String(ports.codec),
    KEY_ROTATOR_DEMO_EMULATOR_PORT: String(ports.emulator),
    KEY_ROTATOR_METRICS_ADDRESS: `127.0.0.1:${ports.metrics}`,
    // node_modules is shared with the rest of the run: never reinstall it from here.
    KEY_ROTATOR_DEMO_SKIP_INSTALL: '1',
  };
  delete env.OPENROUTER_MANAGEMENT_KEY;
  delete env.OPENROUTER_MANAGEMENT_KEY_FILE;
  const child = spawn('bash', ['scripts/start-local.sh'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    ports,
    dataDir,
    output: () => output,
    exited,
    assertRunning() {
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    },
    async stop(timeoutMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs)),
      ]);
      if (code !== 'timeout') return code;
      child.kill('SIGKILL');
      return 'killed';
    },
  };
}

/** The demo log's lines without their `HH:MM:SS [source]` prefix, for one source. */
export function linesFrom(output: string, source: string): string[] {
  const prefix = new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\[${source}\\]\\s*`);
  return output
    .split('\n')
    .filter((line) => prefix.test(line))
    .map((line) => line.replace(prefix, ''));
}
