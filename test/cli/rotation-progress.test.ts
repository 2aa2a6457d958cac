/**
 * What `rotate --wait` and `watch` show while a rotation runs, through the real binary against the
 * shared dev server, the emulator and a worker in this process: failed attempts as they happen,
 * errors that cannot heal failing at once with a rollback message that says what was undone,
 * Ctrl-C leaving the rotation running with the command to watch it again, and pause/resume lines
 * in the order things happened.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RotationConfig } from '../../src/config/schema.js';
import type { RotationWorkers } from '../../src/worker/rotation-workers.js';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { runKeyRotator, startKeyRotator, uniqueName } from '../support/cli.js';
import { findFreePort, waitFor } from '../support/net.js';
import {
  createRotationHarness,
  MANAGEMENT_KEY_ENV,
  type RotationHarness,
} from '../support/rotation-harness.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VAULT_TOKEN_ENV = 'TEST_PROGRESS_VAULT_TOKEN';
/** A host name that cannot exist (RFC 2606), so a lookup answers "no such host" at once. */
const UNRESOLVABLE_VAULT = 'https://key-rotator-test.invalid:8200';

let h: RotationHarness;
let workers: RotationWorkers;
let running: Promise<void>;
/** A Vault address where nothing listens: every request is refused, a fault a retry may heal. */
let closedVault: string;

function cliEnv(): Record<string, string> {
  return {
    KEY_ROTATOR_CODEC_KEY: h.keyringJson,
    KEY_ROTATOR_TASK_QUEUE: h.taskQueue,
    [MANAGEMENT_KEY_ENV]: h.emulator.managementKey,
  };
}

async function writeRotations(file: string, rotation: RotationConfig): Promise<string> {
  const path = join(h.dir, file);
  await writeFile(path, stringify({ version: 1, rotations: [rotation] }));
  return path;
}

function vaultRotation(name: string, address: string): RotationConfig {
  return h.rotation(name, {
    destinations: [
      {
        type: 'vault',
        address,
        path: `apps/${name}`,
        auth: { method: 'token', token: { env: VAULT_TOKEN_ENV } },
      },
    ],
  });
}

/** The lines of a `--wait` run without their clock: `step …` or `paused …`. */
function events(output: string): string[] {
  return output
    .split('\n')
    .map((line) => /^\d\d:\d\d:\d\d {2}(.*)$/.exec(line)?.[1]?.trim())
    .filter((line): line is string => line !== undefined);
}

beforeAll(async () => {
  h = await createRotationHarness();
  closedVault = `http://127.0.0.1:${await findFreePort()}`;
  h.allow({
    fileRoots: ['/sys'],
    vaultAddresses: [closedVault, UNRESOLVABLE_VAULT],
    credentialEnvs: [VAULT_TOKEN_ENV],
  });
  h.workerEnv[VAULT_TOKEN_ENV] = 'test-vault-token';
  workers = await h.worker();
  running = workers.run();
});
afterAll(async () => {
  workers?.shutdown();
  await running;
  await h?.close();
});

describe('rotate --wait while a step fails', () => {
  it('shows each failed attempt as it happens, and Ctrl-C leaves the rotation running with the command to watch it again', async () => {
    const name = uniqueName('retries');
    const file = await writeRotations('retries.yaml', vaultRotation(name, closedVault));
    const run = startKeyRotator(['rotate', name, '-f', file, '--wait'], { env: cliEnv(), cwd: REPO_ROOT });
    try {
      await run.waitForOutput(
        /preflight: attempt 1 failed: .*could not reach Vault at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED.*, retrying (now|in \d+ s)/,
        60_000,
      );
      await run.waitForOutput(/preflight: attempt 2 failed: .*ECONNREFUSED/, 60_000);
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(130);
      expect(run.output()).toContain(
        `stopped watching; the rotation of ${name} goes on (workflow ${rotationWorkflowId(name)}). ` +
          `Watch it again with: npx --no-install key-rotator watch ${name}`,
      );

      const handle = h.client.workflow.getHandle(rotationWorkflowId(name));
      expect((await handle.describe()).status.name).toBe('RUNNING');

      // The printed command, as printed, picks the rotation up where it is.
      const watch = startKeyRotator(['watch', name], { env: cliEnv(), cwd: REPO_ROOT });
      await watch.waitForOutput(
        new RegExp(
          `Watching the rotation of ${name} \\(workflow ${rotationWorkflowId(name)}, run .*\\): now at step preflight`,
        ),
        60_000,
      );
      await watch.waitForOutput(/preflight: attempt \d+ failed: .*ECONNREFUSED/, 60_000);
      // Steps already taken are summed up, not printed again.
      expect(
        events(watch.output()).filter((line) => /^preflight\b/.test(line) && !/attempt/.test(line)),
      ).toEqual([]);
      await handle.terminate('test over');
      expect(await watch.exited).toBe(1);
      expect(watch.output()).toMatch(new RegExp(`rotation of ${name} failed: .*terminated`, 'i'));
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 180_000);

  it('a Vault address whose host does not exist fails preflight at once, not after ten retries', async () => {
    const name = uniqueName('badhost');
    const file = await writeRotations('badhost.yaml', vaultRotation(name, UNRESOLVABLE_VAULT));
    const run = await runKeyRotator(['rotate', name, '-f', file, '--wait'], {
      env: cliEnv(),
      cwd: REPO_ROOT,
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `rotation of ${name} failed: preflight failed, nothing was changed: .*key-rotator-test\\.invalid.*` +
          'its host name does not resolve \\(ENOTFOUND\\); set the address',
      ),
    );
    expect(run.stdout).not.toMatch(/attempt \d+ failed/);
  });

  it('a first rotation into a file the worker may not write fails at once and says the file never received the new key', async () => {
    const name = uniqueName('eacces');
    const rotation = h.rotation(name, {
      destinations: [{ type: 'file', path: `/sys/key-rotator-${name}.env` }],
    });
    const file = await writeRotations('eacces.yaml', rotation);
    const run = await runKeyRotator(['rotate', name, '-f', file, '--wait'], {
      env: cliEnv(),
      cwd: REPO_ROOT,
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `rotation of ${name} failed: rotation failed at step store and was rolled back ` +
          `\\(file:/sys/key-rotator-${name}\\.env#OPENROUTER_API_KEY never received the new key \\(it held none before\\); ` +
          'the new key sk-or-v1-\\S+ was deleted\\): .*permission denied',
      ),
    );
    expect(run.stderr).not.toContain('old key again');
    expect(run.stdout).not.toMatch(/attempt \d+ failed/);
    expect(h.liveKeys().filter((k) => k.name.includes(name))).toEqual([]);
  });
});

describe('rotate --wait with a pause', () => {
  it('prints pause, resume and the steps after them in the order they happened', async () => {
    const name = uniqueName('order');
    await h.adoptKey(['order.env']);
    const file = await writeRotations('order.yaml', h.rotation(name, {}, ['order.env']));
    const run = startKeyRotator(['rotate', name, '-f', file, '--grace', '1h', '--wait'], {
      env: cliEnv(),
      cwd: REPO_ROOT,
    });
    try {
      await run.waitForOutput(/ {2}grace {5}/, 60_000);
      const pause = await runKeyRotator(['pause', name, '--reason', 'drill'], { env: cliEnv() });
      expect(pause.code, pause.stderr).toBe(0);
      expect(pause.stdout).toContain('pause signal sent');
      await run.waitForOutput(/paused: drill/, 30_000);
      // Ends the grace period while paused: the rotation then waits before verify, and verify
      // starts right after the resume, typically within the same poll of the watcher.
      expect((await runKeyRotator(['end-grace', name], { env: cliEnv() })).code).toBe(0);
      await waitFor(
        async () => {
          const d = await h.client.workflow.getHandle(rotationWorkflowId(name)).describe();
          return d.status.name === 'RUNNING' ? true : undefined;
        },
        { what: 'rotation still running' },
      );
      expect((await runKeyRotator(['resume', name], { env: cliEnv() })).code).toBe(0);
      expect(await run.exited).toBe(0);
      const lines = events(run.output()).map((line) => line.split(/\s+/)[0]!.replace(/:$/, ''));
      expect(lines).toEqual([
        'preflight',
        'create',
        'store',
        'grace',
        'paused',
        'resumed',
        'verify',
        'delete',
        'done',
      ]);
      const clocks = run
        .output()
        .split('\n')
        .map((line) => /^(\d\d:\d\d:\d\d) {2}/.exec(line)?.[1])
        .filter(Boolean);
      expect([...clocks].sort()).toEqual(clocks);
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 180_000);
});
