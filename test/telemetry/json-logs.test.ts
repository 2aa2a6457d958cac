/**
 * KEY_ROTATOR_LOG_FORMAT=json end to end: a `key-rotator worker` process, one `rotate --wait` and a
 * codec server, each in the JSON format. Every line each prints parses as one JSON record; the
 * rotation's lines (the activities', through the SDK's logger, and the CLI's progress) carry the
 * rotation, its workflow and run ids and the step; no key, management key or keyring key shows up
 * in any of it, in any encoding.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { runKeyRotator, startKeyRotator, uniqueName, type RunningCli } from '../support/cli.js';
import { encodingsOf } from '../support/history-payloads.js';
import { findFreePort } from '../support/net.js';
import { createRotationHarness, type RotationHarness } from '../support/rotation-harness.js';

interface LogRecord {
  time: string;
  level: string;
  message: string;
  rotation?: string;
  workflowId?: string;
  runId?: string;
  step?: string;
  [field: string]: unknown;
}

let h: RotationHarness;
let worker: RunningCli;
const printed = { stdout: '', stderr: '' };
const name = uniqueName('jsonlog');
let configFile: string;

/** Each line of `text` as a record; fails naming the line that is not one JSON object. */
function records(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(line)), line).not.toThrow();
      expect(parsed, line).toMatchObject({ level: expect.any(String), message: expect.any(String) });
      const record = parsed as LogRecord;
      expect(new Date(record.time).toISOString(), line).toBe(record.time);
      return record;
    });
}

/** The base64 keys of the codec and sealing keyrings. */
function keyringKeys(): string[] {
  return [h.keyringJson, h.workerEnv.KEY_ROTATOR_SEALING_KEY!].flatMap((json) =>
    Object.values((JSON.parse(json) as { keys: Record<string, string> }).keys),
  );
}

function expectNoSecret(text: string, secrets: string[]): void {
  for (const secret of secrets)
    for (const form of encodingsOf(secret))
      expect(text.includes(form), `a form of a secret: ${form}`).toBe(false);
}

beforeAll(async () => {
  h = await createRotationHarness();
  configFile = join(h.dir, 'rotations.yaml');
  await writeFile(configFile, stringify({ version: 1, rotations: [h.rotation(name, {}, ['app.env'])] }));
  await h.adoptKey(['app.env']);
  worker = startKeyRotator(['worker'], {
    env: { ...h.workerEnv, KEY_ROTATOR_LOG_FORMAT: 'json', KEY_ROTATOR_WORKER_VERSIONING: 'false' },
  });
  worker.child.stdout!.on('data', (chunk: Buffer) => (printed.stdout += chunk.toString()));
  worker.child.stderr!.on('data', (chunk: Buffer) => (printed.stderr += chunk.toString()));
  await worker.waitForOutput(/"message":"key-rotator worker polling task queue/, 180_000);
}, 240_000);
afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await h?.close();
});

describe('KEY_ROTATOR_LOG_FORMAT=json', () => {
  it('worker and CLI print one JSON record per line, with the run ids and steps, and no secret', async () => {
    const oldKey = (await h.readKeyFrom('app.env'))!;
    const run = await runKeyRotator(['rotate', name, '-f', configFile, '--wait', '--grace', '0s'], {
      env: {
        KEY_ROTATOR_CODEC_KEY: h.keyringJson,
        KEY_ROTATOR_TASK_QUEUE: h.taskQueue,
        KEY_ROTATOR_LOG_FORMAT: 'json',
      },
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const newKey = (await h.readKeyFrom('app.env'))!;
    expect(newKey).not.toBe(oldKey);
    const { runId } = await h.client.workflow.getHandle(rotationWorkflowId(name)).describe();
    const ids = { rotation: name, workflowId: rotationWorkflowId(name), runId };

    // The CLI: progress as records of the run, one per step; the summary after them stays text.
    const [progressText, summary] = run.stdout.split(/\n(?=Rotation of )/);
    const progress = records(progressText!);
    for (const record of progress) expect(record).toMatchObject({ level: 'info', ...ids });
    expect(progress[0]!.message).toMatch(/^Started rotation of /);
    expect(progress.slice(1).map((r) => r.step)).toEqual([
      'preflight',
      'create',
      'store',
      'grace',
      'verify',
      'delete',
      'done',
    ]);
    expect(summary).toContain(`Rotation of ${name} succeeded`);
    records(run.stderr);

    // The worker: its own lines, the SDK's and the activities' (through the Runtime's logger).
    worker.child.kill('SIGTERM');
    await worker.exited;
    const lines = [...records(printed.stdout), ...records(printed.stderr)];
    expect(lines.find((l) => l.message.startsWith('key-rotator worker polling'))).toMatchObject({
      level: 'info',
      taskQueue: h.taskQueue,
    });
    const ofRun = lines.filter((l) => l.rotation === name);
    expect(ofRun.length).toBeGreaterThan(0);
    for (const record of ofRun) expect(record).toMatchObject(ids);
    expect(ofRun.find((l) => l.message === 'created a new key')).toMatchObject({
      step: 'create',
      sdkComponent: 'activity',
    });
    expect(ofRun.find((l) => l.message.startsWith('stored new key in'))).toMatchObject({
      step: 'store',
      destination: `file:${join(h.dir, 'app.env')}#OPENROUTER_API_KEY`,
    });
    // Lines of the run's activities that the code did not give a rotation get it too (the interceptor).
    for (const record of lines.filter((l) => l.workflowId === ids.workflowId))
      expect(record).toMatchObject(ids);

    const secrets = [oldKey, newKey, h.emulator.managementKey, ...keyringKeys()];
    expectNoSecret(printed.stdout + printed.stderr + run.stdout + run.stderr, secrets);
  });

  it('the codec server prints its lines as records too', async () => {
    const port = await findFreePort();
    const server = startKeyRotator(['codec-server', '--port', String(port)], {
      env: {
        KEY_ROTATOR_CODEC_KEY: h.keyringJson,
        KEY_ROTATOR_SEALING_KEY: undefined,
        KEY_ROTATOR_LOG_FORMAT: 'json',
      },
    });
    try {
      await server.waitForOutput(/codec server listening on/, 60_000);
      const [listening] = records(server.output());
      expect(listening).toMatchObject({
        level: 'info',
        message: expect.stringContaining(`127.0.0.1:${port}`),
      });
      expectNoSecret(server.output(), keyringKeys());
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('a value other than text or json is refused before anything runs, exit 2', async () => {
    const token = randomBytes(4).toString('hex');
    const run = await runKeyRotator(['rotate', name, '-f', configFile], {
      env: {
        KEY_ROTATOR_CODEC_KEY: h.keyringJson,
        KEY_ROTATOR_TASK_QUEUE: h.taskQueue,
        KEY_ROTATOR_LOG_FORMAT: `xml${token}`,
      },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `key-rotator: KEY_ROTATOR_LOG_FORMAT=xml${token}: expected text or json (default text)\n`,
    );
    // Nothing started: the last run of the rotation is still the one above.
    const { runId } = await h.client.workflow.getHandle(rotationWorkflowId(name)).describe();
    const runs = h.client.workflow.list({ query: `WorkflowId = "${rotationWorkflowId(name)}"` });
    const seen: string[] = [];
    for await (const r of runs) seen.push(r.runId);
    expect(seen).toEqual([runId]);
  });
});
