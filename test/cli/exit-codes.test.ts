/**
 * The exit code table (README "Exit codes"), through the real binary for every command: 0 ok,
 * 1 failure, 2 bad input or refused (nothing changed), 3 no rotation of that name. No worker runs
 * on this file's task queue, so a started rotation stays where it is until the test ends it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotationScheduleId, rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { connectCliTestClient, runKeyRotator, uniqueName, type CliRun } from '../support/cli.js';

const taskQueue = uniqueName('exit-codes-queue');
const applied = uniqueName('exit-codes');
const unknown = uniqueName('nope-app');
let dir: string;
let file: string;
let client: Client;
let close: () => Promise<void>;

/** The binary without any management key in its environment: the CLI never needs one. */
function cli(...args: string[]): Promise<CliRun> {
  return runKeyRotator(args, { env: { KEY_ROTATOR_TASK_QUEUE: taskQueue } });
}

function expectExit(run: CliRun, code: number, output: RegExp): void {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code);
  expect(run.stdout + run.stderr).toMatch(output);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-exit-codes-'));
  file = path.join(dir, 'rotations.yaml');
  await writeFile(
    file,
    `rotations:
  - name: ${applied}
    openrouter:
      managementKeyEnv: EXIT_CODES_MANAGEMENT_KEY
      key: { name: ${applied}, limit: 5 }
    schedule: { intervalDays: 30, rotateAt: "03:00" }
    gracePeriod: 1h
    destinations:
      - type: file
        path: ${path.join(dir, 'app.env')}
`,
  );
  ({ client, close } = await connectCliTestClient());
});
afterAll(async () => {
  await client.workflow
    .getHandle(rotationWorkflowId(applied))
    .terminate('test over')
    .catch(() => undefined);
  await client.schedule
    .getHandle(rotationScheduleId(applied))
    .delete()
    .catch(() => undefined);
  await close();
  await rm(dir, { recursive: true, force: true });
});

describe('exit codes: 3 for a rotation that does not exist, the same for every command', () => {
  it.each([
    ['status', [unknown]],
    ['history', [unknown]],
    ['history --json', [unknown, '--json']],
    ['rotate', [unknown]],
    ['watch', [unknown]],
    ['pause', [unknown]],
    ['resume', [unknown]],
  ])('%s of an unknown name exits 3 and points at `key-rotator list`', async (command, args) => {
    const run = await cli(command.split(' ')[0]!, ...args);
    expectExit(run, 3, new RegExp(`no rotation named "${unknown}"`));
    expect(run.stdout).toBe('');
  });

  it('rotate -f with a name the file does not define exits 3 and lists what it defines', async () => {
    expectExit(
      await cli('rotate', 'not-in-the-file', '-f', file),
      3,
      new RegExp(`no rotation named "not-in-the-file" in .*rotations\\.yaml \\(it defines: ${applied}\\)`),
    );
  });
});

describe('exit codes: 2 for bad input or a refusal, nothing changed', () => {
  it('end-grace with no rotation running exits 2', async () => {
    expectExit(
      await cli('end-grace', unknown),
      2,
      new RegExp(`no rotation of ${unknown} is running; nothing to end`),
    );
  });

  it.each([
    ['list', ['list', '--bogus']],
    ['apply', ['apply', '-f', '/nonexistent/rotations.yaml']],
    ['status', ['status', 'Not_A_Slug']],
    ['history', ['history', 'x', '--limit', '0']],
    ['rotate', ['rotate', 'x', '--grace', 'soon']],
    ['pause', ['pause']],
    ['resume', ['resume', 'Not_A_Slug']],
    ['end-grace', ['end-grace', 'Not_A_Slug']],
    ['worker', ['worker', '--policy', '/nonexistent/policy.yaml']],
    ['codec-server', ['codec-server', '--port', '70000']],
    ['emulator', ['emulator', '--port', 'x']],
  ])('%s with bad input exits 2', async (_command, args) => {
    const run = await cli(...args);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).not.toBe('');
  });
});

describe('exit code 0, and the CLI never asks for the management key', () => {
  it('apply, status, history, list, rotate work without OPENROUTER_MANAGEMENT_KEY; a second rotate is refused with 2', async () => {
    expectExit(await cli('apply', '-f', file), 0, /Applied: 1 created/);
    expectExit(await cli('status', applied), 0, new RegExp(`^${applied}\\n {2}schedule`));
    expectExit(await cli('history', applied), 0, new RegExp(`No rotations of ${applied} yet\\.`));
    expectExit(await cli('list'), 0, new RegExp(applied));

    expectExit(await cli('rotate', applied), 0, new RegExp(`Started rotation of ${applied}`));
    expectExit(
      await cli('rotate', applied),
      2,
      new RegExp(`a rotation of ${applied} is already running .*; see \`key-rotator status ${applied}\``),
    );
    expectExit(await cli('pause', applied), 0, /running rotation {2}pause signal sent/);
    expectExit(await cli('resume', applied), 0, /running rotation {2}resume signal sent/);
  });

  it('apply --check-env still names a missing management key variable, exit 2', async () => {
    expectExit(
      await cli('apply', '-f', file, '--check-env', '--dry-run'),
      2,
      /environment variable EXIT_CODES_MANAGEMENT_KEY is not set/,
    );
  });
});
