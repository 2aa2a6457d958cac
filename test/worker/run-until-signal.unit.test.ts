/**
 * How every long-running command stops (src/process/run-until-signal.ts), in a real process receiving real
 * signals: the first SIGINT/SIGTERM asks for a graceful stop, a second one ends a stop that hangs.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const HELPER = pathToFileURL(path.resolve('src/process/run-until-signal.ts')).href;

/**
 * A process whose `run` prints "running", waits for its signal, prints "stopping", then either
 * finishes (printing the signal handlers still installed) or never finishes.
 */
function startProcess(stop: 'finishes' | 'hangs') {
  const script = `import { runUntilSignal, whenAborted } from ${JSON.stringify(HELPER)};
await runUntilSignal(async (signal) => {
  // Like a server: something keeps the process alive until it is stopped.
  const server = setInterval(() => {}, 1000);
  console.log('running');
  await whenAborted(signal);
  console.log('stopping');
  clearInterval(server);
  // A stop that hangs: a timer keeps the process alive and the promise never settles.
  if (${JSON.stringify(stop)} === 'hangs') await new Promise(() => setInterval(() => {}, 1000));
  else await new Promise((resolve) => setTimeout(resolve, 200));
});
console.log('handlers left: ' + (process.listenerCount('SIGINT') + process.listenerCount('SIGTERM')));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = async (text: string) => {
    const deadline = Date.now() + 30_000;
    while (!output.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${text}" in: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, exited, printed, output: () => output };
}

describe('runUntilSignal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'a first %s stops the run gracefully and removes its handlers',
    async (signal) => {
      const run = startProcess('finishes');
      await run.printed('running');
      run.child.kill(signal);
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('stopping');
      expect(run.output()).toContain('handlers left: 0');
    },
  );

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('a second %s ends a stop that hangs at once, with exit code %i', async (signal, code) => {
    const run = startProcess('hangs');
    await run.printed('running');
    run.child.kill(signal);
    await run.printed('stopping');
    const second = Date.now();
    run.child.kill(signal);
    expect(await run.exited).toBe(code);
    expect(Date.now() - second).toBeLessThan(5_000);
  });
});
