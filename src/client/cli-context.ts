/** What every command gets: the environment, where to print, the clock and a lazy Temporal session. */
import type { LogFormat } from '../logging/log-format.js';
import { terminalAsk, type Ask, type InputStream } from './output/ask.js';
import { Output, type OutputStream } from './output/output.js';
import type { TemporalSession } from './temporal-client.js';

export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: Output;
  /** Asks the person at the terminal; undefined when stdin is not a terminal (nobody to ask). */
  ask: Ask | undefined;
  now(): Date;
  /** Connects on first use (read-only commands that fail validation never connect). */
  temporal(): Promise<TemporalSession>;
  /** Closes the session if one was opened. */
  close(): Promise<void>;
}

export interface CliIo {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default process.cwd() */
  cwd?: string;
  /** @default process.stdout */
  stdout?: OutputStream;
  /** @default process.stderr */
  stderr?: OutputStream;
  /** Where a person answers questions (`ask`). @default process.stdin */
  stdin?: InputStream;
  /** How diagnostics and progress look (KEY_ROTATOR_LOG_FORMAT, read by runCli). @default "text" */
  logFormat?: LogFormat;
}

export function createCliContext(io: CliIo = {}): CliContext {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  let session: Promise<TemporalSession> | undefined;
  return {
    env,
    cwd,
    out: new Output(io.stdout ?? process.stdout, io.stderr ?? process.stderr, io.logFormat),
    // The question goes to the terminal's stderr, so that `--json` output on stdout stays clean.
    ask: terminalAsk(io.stdin ?? process.stdin, process.stderr),
    now: () => new Date(),
    // Imported on first use: the Temporal client takes most of a second to load, and `--help` needs none of it.
    temporal: () => (session ??= import('./temporal-client.js').then((m) => m.connectTemporal({ env, cwd }))),
    close: async () => {
      if (!session) return;
      const opened = await session.catch(() => undefined);
      await opened?.close();
    },
  };
}
