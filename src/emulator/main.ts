/**
 * `key-rotator emulator`: runs the OpenRouter emulator until SIGINT/SIGTERM. It prints its URL, then
 * one line per API request (method, path, status, key label), and never the management key; that key lives in `--management-key-file` (created 0600 with
 * a fresh key when missing), so scripts can read it without it reaching a terminal or a log.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors/errno.js';
import { ConfigError } from '../errors/rotator-errors.js';
import { runUntilSignal, whenAborted } from '../process/run-until-signal.js';
import { generateOpenRouterKey } from './key-store.js';
import { startEmulator } from './server.js';

export interface EmulatorCommandOptions {
  port: number;
  host: string;
  /** File holding the management key; created with a generated key (mode 0600) when missing. */
  managementKeyFile?: string;
  /** Keeps the keys (never their secrets) in this file across restarts; see `EmulatorOptions.stateFile`. */
  stateFile?: string;
  /** Stops the emulator when aborted. @default SIGINT/SIGTERM of this process (src/process/run-until-signal.ts) */
  signal?: AbortSignal;
}

/** Reads the management key from `file`, or creates the file (0600) with a generated key. */
export async function loadOrCreateManagementKey(file: string): Promise<string> {
  try {
    const key = (await fs.readFile(file, 'utf8')).trim();
    if (key === '')
      throw new ConfigError(`${file} is empty: put a management key in it, or delete it to get one.`);
    return key;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const key = generateOpenRouterKey();
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

/** Starts the emulator and resolves once it has been stopped (see `signal`). */
export async function runEmulatorCommand(opts: EmulatorCommandOptions): Promise<void> {
  const managementKey = opts.managementKeyFile
    ? await loadOrCreateManagementKey(opts.managementKeyFile)
    : undefined;
  const emulator = await startEmulator({
    port: opts.port,
    host: opts.host,
    managementKey,
    stateFile: opts.stateFile,
    onRequestLine: (line) => console.log(line),
  });
  console.log(`OpenRouter emulator listening on ${emulator.apiBaseUrl}`);
  if (!opts.managementKeyFile) {
    console.error('No --management-key-file given: the generated management key is not shown anywhere.');
  }

  await runUntilSignal(
    async (signal) => {
      await whenAborted(signal);
      await emulator.stop();
    },
    { signal: opts.signal },
  );
}
