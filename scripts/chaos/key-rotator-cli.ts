/**
 * Runs the real `key-rotator` binary (node bin/key-rotator.js) as an operator would, and appends
 * each run (command, output, exit code) to the CLI log that the run later searches for keys.
 */
import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const KEY_ROTATOR_BIN = fileURLToPath(new URL('../../bin/key-rotator.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KeyRotatorCli {
  run(args: string[]): Promise<CliRun>;
}

export interface KeyRotatorCliOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  /** A run that takes longer is killed and counts as failed (exit code -1). @default 120000 */
  timeoutMs?: number;
}

export function keyRotatorCli(options: KeyRotatorCliOptions): KeyRotatorCli {
  return {
    async run(args) {
      const result = await new Promise<CliRun>((resolve) => {
        execFile(
          process.execPath,
          [KEY_ROTATOR_BIN, ...args],
          { env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 8 << 20 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      });
      await appendFile(
        options.logFile,
        `$ key-rotator ${args.join(' ')}\n${result.stdout}${result.stderr}[exit ${result.code}]\n`,
        { mode: 0o600 },
      );
      return result;
    },
  };
}
