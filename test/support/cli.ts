/**
 * Runs the real `key-rotator` binary (node bin/key-rotator.js) against the shared Temporal dev
 * server, and gives tests a client that decodes what the CLI encrypted.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { inject } from 'vitest';
import { testNamespace } from './temporal.js';
import { createRotatorDataConverter } from '../../src/codec/data-converter.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';
import { rotationScheduleId, SEARCH_ATTRIBUTES } from '../../src/workflow-contract/messages.js';

export const KEY_ROTATOR_BIN = fileURLToPath(new URL('../../bin/key-rotator.js', import.meta.url));

/** One codec keyring for every CLI test file: schedules outlive a test file on the shared server. */
export const CLI_TEST_KEYRING = JSON.stringify({
  active: 'cli-tests',
  keys: { 'cli-tests': Buffer.alloc(32, 7).toString('base64') },
});

/** The workers' sealing keyring in CLI tests: its own key, as in production (never the codec key). */
export const CLI_TEST_SEALING_KEYRING = JSON.stringify({
  active: 'cli-tests-sealing',
  keys: { 'cli-tests-sealing': Buffer.alloc(32, 9).toString('base64') },
});

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment the binary gets: the test process's, minus every Temporal, rotator and
 * OpenRouter setting, plus the shared dev server, the test keyrings (codec, and the sealing one a
 * worker needs) and `extra`.
 */
export function cliEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(TEMPORAL_|KEY_ROTATOR_|OPENROUTER_)/.test(name)) env[name] = value;
  }
  Object.assign(env, {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: testNamespace(),
    KEY_ROTATOR_CODEC_KEY: CLI_TEST_KEYRING,
    KEY_ROTATOR_SEALING_KEY: CLI_TEST_SEALING_KEYRING,
    // Keeps a developer's ~/.config/temporalio/temporal.toml out of the tests.
    TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
  });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** @default 60000 */
  timeoutMs?: number;
}

/** Runs `key-rotator <args>`; resolves with its exit code and output (it never rejects on exit codes). */
export function runKeyRotator(args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [KEY_ROTATOR_BIN, ...args],
      {
        env: cliEnvironment(options.env),
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 8 << 20,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`key-rotator ${args.join(' ')} did not finish: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** A long-running `key-rotator` command (worker, codec-server, emulator) started by {@link startKeyRotator}. */
export interface RunningCli {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved as they arrived. */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects when the process exits first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Starts `key-rotator <args>` in the background with {@link cliEnvironment}; kill it when done. */
export function startKeyRotator(args: string[], options: Omit<RunCliOptions, 'timeoutMs'> = {}): RunningCli {
  const child = spawn(process.execPath, [KEY_ROTATOR_BIN, ...args], {
    env: cliEnvironment(options.env),
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watchOutput(child, args);
}

/** A `key-rotator` command on a terminal: `type` is what the person at it types. */
export interface CliOnTerminal extends RunningCli {
  type(text: string): void;
}

/**
 * Starts `key-rotator <args>` on a pseudo-terminal (util-linux `script`), as a person at a
 * terminal runs it: stdin, stdout and stderr are the terminal (output arrives with CR LF).
 */
export function startKeyRotatorOnTerminal(
  args: string[],
  options: Omit<RunCliOptions, 'timeoutMs'> = {},
): CliOnTerminal {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, KEY_ROTATOR_BIN, ...args].map(quote).join(' ');
  // -q: no banner, -e: its exit code is the command's, -f: output as it comes, /dev/null: no log file.
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    env: cliEnvironment(options.env),
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return { ...watchOutput(child, args), type: (text) => void child.stdin!.write(text) };
}

function watchOutput(child: ChildProcess, args: string[]): RunningCli {
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const listener of listeners) listener();
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`key-rotator ${args.join(' ')}: no ${pattern} within ${timeoutMs} ms:\n${output}`),
          );
        }, timeoutMs);
        function check() {
          const match = pattern.exec(output);
          const ended = child.exitCode !== null || child.signalCode !== null;
          if (!match && !ended) return;
          clearTimeout(timer);
          listeners.delete(check);
          if (match) resolve(match);
          else
            reject(new Error(`key-rotator ${args.join(' ')} exited before printing ${pattern}:\n${output}`));
        }
        listeners.add(check);
        check();
      });
    },
  };
}

/** Parses the stdout of a `--json` run, with the whole run in the error when it is not JSON. */
export function jsonOf<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** A client on the shared dev server with the CLI tests' codec, and a way to close it. */
export async function connectCliTestClient(
  namespace: string = testNamespace(),
): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({
    connection,
    namespace,
    dataConverter: await createRotatorDataConverter({
      keyring: parseKeyring(CLI_TEST_KEYRING, 'cli test keyring'),
    }),
  });
  return { client, close: () => connection.close() };
}

export async function scheduleExists(client: Client, name: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(rotationScheduleId(name)).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** A rotation name no other test (or earlier run) uses: `<prefix>-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh namespace on the shared dev server, with our search attributes: tests of `apply --prune`
 * run there, so they cannot delete the schedules of other tests.
 */
export async function createTestNamespace(prefix: string): Promise<string> {
  const namespace = uniqueName(prefix);
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        Object.keys(SEARCH_ATTRIBUTES).map((name) => [
          name,
          temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
  } finally {
    await connection.close();
  }
  return namespace;
}
