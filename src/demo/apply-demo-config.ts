/**
 * `key-rotator apply -f <data>/rotations.demo.yaml`, run in-process through the real CLI
 * (`runCli`), its output shown as the demo's `[cli]` lines.
 */
import { runCli } from '../client/cli.js';
import { RotatorError } from '../errors/rotator-errors.js';
import type { DemoLog } from './demo-log.js';

export interface ApplyDemoConfigOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: DemoLog;
}

/** `key-rotator apply` failed; its own message was printed just before. */
export class DemoApplyError extends RotatorError {}

function lineWriter(log: DemoLog): { write(chunk: string): boolean } {
  return {
    write(chunk: string) {
      for (const line of chunk.replace(/\n$/, '').split('\n')) log('cli', line);
      return true;
    },
  };
}

export async function applyDemoConfig(options: ApplyDemoConfigOptions): Promise<void> {
  const args = ['apply', '-f', options.configFile];
  options.log('cli', `key-rotator ${args.join(' ')}`);
  const code = await runCli(['node', 'key-rotator', ...args], {
    env: options.env,
    cwd: options.cwd,
    stdout: lineWriter(options.log),
    stderr: lineWriter(options.log),
  });
  if (code !== 0)
    throw new DemoApplyError(`key-rotator apply exited with code ${code}; see the [cli] lines above`);
}
