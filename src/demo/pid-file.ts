/**
 * `<data>/pids.json`: the processes a running `npm start` owns (itself and the Temporal dev
 * server), so that a script or a test can check that none is left after it stopped. Removed on a
 * clean stop; found at start-up, it tells that the last run was killed (kill -9, a crash): its
 * dev server, which runs in a session of its own, may still hold the data folder and the ports.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { errnoCode } from '../errors/errno.js';
import { ConfigError } from '../errors/rotator-errors.js';
import type { DemoLog } from './demo-log.js';

const pidsSchema = z.object({
  /** The `npm start` process (node running src/demo/local-stack.ts). */
  localStack: z.number().int().positive(),
  /** The Temporal dev server child process. */
  temporalDevServer: z.number().int().positive(),
});
export type LocalStackPids = z.infer<typeof pidsSchema>;

const STOP_WAIT_MS = 10_000;

export async function writePidFile(file: string, pids: LocalStackPids): Promise<void> {
  await writeFile(file, `${JSON.stringify(pids, null, 2)}\n`);
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** Whether `pid` runs a command line that contains `text` (true where /proc is not available). */
async function commandMentions(pid: number, text: string): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(text);
  } catch (err) {
    return errnoCode(err) !== 'ENOENT' || process.platform !== 'linux';
  }
}

/**
 * Before a start: refuses when another `npm start` uses this data folder, and stops the dev
 * server a killed run left behind (recognised by its PID and its database file).
 */
export async function cleanUpAfterKilledRun(file: string, temporalDb: string, log: DemoLog): Promise<void> {
  let pids: LocalStackPids;
  try {
    pids = pidsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return; // No pid file (the last run stopped cleanly), or an unreadable one: nothing to go on.
  }
  if (isAlive(pids.localStack) && (await commandMentions(pids.localStack, 'local-stack'))) {
    throw new ConfigError(
      `another \`npm start\` (pid ${pids.localStack}) is running with this data folder; stop it first`,
    );
  }
  const server = pids.temporalDevServer;
  if (isAlive(server) && (await commandMentions(server, temporalDb))) {
    log('temporal', `the last run was killed; stopping the dev server it left running (pid ${server})`);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (!isAlive(server)) break;
      process.kill(server, signal);
      const deadline = Date.now() + STOP_WAIT_MS;
      while (isAlive(server) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    }
  }
  await removePidFile(file);
}
