/**
 * `npm start` as a newcomer runs it (`bash scripts/start-local.sh`), on its own ports and data
 * folder: the first start rotates the hand-made key through the schedule while the consumer app's
 * traffic moves to the new key; Ctrl-C leaves no process behind; the second start resumes from the
 * data folder without seeding again. Prints both start-up times.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { connectTemporal } from '../../src/client/temporal-client.js';
import type { EmulatorStateSnapshot } from '../../src/emulator/server.js';
import { hashOfKey } from '../../src/openrouter/hash.js';
import { readDotenvValue } from '../../src/stores/dotenv-format.js';
import { rotationScheduleId, rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import { findFreePort, waitFor } from '../support/net.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIRST_ROTATION_TIMEOUT_MS = 240_000;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

const dataDir = mkdtempSync(path.join(tmpdir(), 'local-stack-'));
const secretFile = path.join(dataDir, 'secrets', 'demo-app.env');
const running: ChildProcess[] = [];
const devServerPids = new Set<number>();

afterAll(() => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of devServerPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of live processes whose command line names `text` (the data folder: the dev server's --db-filename). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return found;
}

interface Ports {
  temporal: number;
  ui: number;
  codec: number;
  emulator: number;
  metrics: number;
}

interface Started {
  child: ChildProcess;
  startedAt: number;
  output(): string;
  exited: Promise<number | null>;
}

function startLocalStack(ports: Ports): Started {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEY_ROTATOR_DEMO_DATA_DIR: dataDir,
    KEY_ROTATOR_DEMO_TEMPORAL_PORT: String(ports.temporal),
    KEY_ROTATOR_DEMO_UI_PORT: String(ports.ui),
    KEY_ROTATOR_DEMO_CODEC_PORT: String(ports.codec),
    KEY_ROTATOR_DEMO_EMULATOR_PORT: String(ports.emulator),
    KEY_ROTATOR_METRICS_ADDRESS: `127.0.0.1:${ports.metrics}`,
    // node_modules is shared with the rest of the run: never reinstall it from here.
    KEY_ROTATOR_DEMO_SKIP_INSTALL: '1',
  };
  delete env.OPENROUTER_MANAGEMENT_KEY;
  delete env.OPENROUTER_MANAGEMENT_KEY_FILE;
  const startedAt = Date.now();
  const child = spawn('bash', ['scripts/start-local.sh'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, startedAt, output: () => output, exited };
}

function stillRunning(started: Started): () => void {
  return () => {
    if (started.child.exitCode !== null) {
      throw new Error(`npm start exited with ${started.child.exitCode}:\n${started.output()}`);
    }
  };
}

async function emulatorState(port: number): Promise<EmulatorStateSnapshot> {
  const managementKey = readFileSync(path.join(dataDir, 'emulator-management-key'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}/_emulator/state`, {
    headers: { authorization: `Bearer ${managementKey}` },
  });
  return (await res.json()) as EmulatorStateSnapshot;
}

function keyInFile(): string | undefined {
  return existsSync(secretFile)
    ? readDotenvValue(readFileSync(secretFile, 'utf8'), 'OPENROUTER_API_KEY')
    : undefined;
}

async function completeWith(port: number, key: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** SIGINT (Ctrl-C), then: clean exit, and neither the stack nor its dev server is left. */
async function stopAndCheckNothingIsLeft(started: Started): Promise<void> {
  const pids = JSON.parse(readFileSync(path.join(dataDir, 'pids.json'), 'utf8')) as {
    localStack: number;
    temporalDevServer: number;
  };
  expect(pids.localStack).toBe(started.child.pid);
  devServerPids.add(pids.temporalDevServer);
  expect(isAlive(pids.temporalDevServer)).toBe(true);

  started.child.kill('SIGINT');
  const code = await Promise.race([
    started.exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS)),
  ]);

  expect(code, started.output()).toBe(0);
  await waitFor(async () => !isAlive(pids.temporalDevServer), {
    what: 'the dev server gone',
    timeoutMs: 10_000,
  });
  expect(processesMentioning(dataDir)).toEqual([]);
  expect(existsSync(path.join(dataDir, 'pids.json'))).toBe(false);
  expect(started.output()).toMatch(/\[demo\]\s+stopped/);
}

function expectNoKeyIn(output: string): void {
  expect(output).not.toMatch(/sk-or-v1-[0-9a-f]{64}/);
  const managementKey = readFileSync(path.join(dataDir, 'emulator-management-key'), 'utf8').trim();
  expect(output).not.toContain(managementKey);
}

describe('npm start (scripts/start-local.sh)', () => {
  it('rotates the hand-made key on first start, stops cleanly, and resumes on the second start', async () => {
    const ports: Ports = {
      temporal: await findFreePort(),
      ui: await findFreePort(),
      codec: await findFreePort(),
      emulator: await findFreePort(),
      metrics: await findFreePort(),
    };

    // ── first start: the scheduled rotation replaces the hand-made key ─────────────────────────
    const first = startLocalStack(ports);
    const seededKey = await waitFor(async () => keyInFile(), {
      what: 'the hand-made key in the file',
      timeoutMs: READY_TIMEOUT_MS,
      abortIf: stillRunning(first),
    });
    const seededHash = hashOfKey(seededKey);
    const rotated = await waitFor(
      async () => {
        const state = await emulatorState(ports.emulator);
        const fileKey = keyInFile();
        const current = state.keys.find((k) => fileKey !== undefined && k.hash === hashOfKey(fileKey));
        const old = state.keys.find((k) => k.hash === seededHash);
        return current &&
          current.hash !== seededHash &&
          current.request_count > 0 &&
          !current.deleted &&
          old?.deleted
          ? { state, current, fileKey: fileKey! }
          : undefined;
      },
      {
        what: 'the first rotation to finish',
        timeoutMs: FIRST_ROTATION_TIMEOUT_MS,
        intervalMs: 1_000,
        abortIf: stillRunning(first),
      },
    );
    const firstRotationMs = Date.now() - first.startedAt;
    await waitFor(async () => /rotation of demo-app succeeded/.test(first.output()), {
      what: 'the rotation reported',
      timeoutMs: 10_000,
    });
    expect(first.output()).toMatch(
      /No OPENROUTER_MANAGEMENT_KEY set: using the local OpenRouter emulator at/,
    );
    expect(first.output()).toContain(`picked up the new key ${rotated.current.label}`);
    expect(rotated.state.keys.find((k) => k.hash === seededHash)?.request_count).toBeGreaterThan(0);
    expect(await completeWith(ports.emulator, seededKey)).toBe(401);
    expect(await completeWith(ports.emulator, rotated.fileKey)).toBe(200);
    expectNoKeyIn(first.output());
    // A newcomer's terminal: no webpack statistics from bundling the workflows at start-up, and
    // the traffic check's source (requests counted, as meant) is a note, not a WARN.
    expect(first.output()).not.toMatch(/webpack|Workflow bundle created|asset workflow-bundle/);
    expect(first.output()).not.toMatch(/WARN traffic check/);
    await stopAndCheckNothingIsLeft(first);
    const keysAfterFirstRun = savedEmulatorKeys().length;

    // ── second start: same data folder, nothing seeded, the schedule is still there ────────────
    const second = startLocalStack(ports);
    await waitFor(async () => /The local stack is ready/.test(second.output()), {
      what: 'the second start to be ready',
      timeoutMs: READY_TIMEOUT_MS,
      abortIf: stillRunning(second),
    });
    const secondReadyMs = Date.now() - second.startedAt;
    expect(second.output()).not.toMatch(/first start: created a key/);
    expect(second.output()).toMatch(/= unchanged\s+demo-app/);
    const state = await emulatorState(ports.emulator);
    expect(state.keys).toHaveLength(keysAfterFirstRun);
    expect(keyInFile()).toBe(rotated.fileKey);
    expect(await completeWith(ports.emulator, rotated.fileKey)).toBe(200);
    const session = await connectTemporal({
      env: {
        TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
        KEY_ROTATOR_CODEC_KEY_FILE: path.join(dataDir, 'codec-keyring.json'),
      },
    });
    try {
      const schedule = await session.client.schedule.getHandle(rotationScheduleId('demo-app')).describe();
      expect(schedule.state.paused).toBe(false);
      await expectTheUiDecodesRotations(ports, second.output(), session.connection);
    } finally {
      await session.close();
    }
    expectNoKeyIn(second.output());
    await stopAndCheckNothingIsLeft(second);

    console.log(
      `npm start timings: first start until the first rotation finished ${(firstRotationMs / 1000).toFixed(1)} s ` +
        `(grace period 30 s included); second start until ready ${(secondReadyMs / 1000).toFixed(1)} s`,
    );
  }, 420_000);
});

/**
 * The Web UI is pointed at the codec server the banner prints, and that server decodes a finished
 * rotation's input for the UI's origin, with the keys inside still sealed.
 */
async function expectTheUiDecodesRotations(
  ports: Ports,
  output: string,
  connection: Connection,
): Promise<void> {
  const codecUrl = `http://127.0.0.1:${ports.codec}`;
  expect(output).toMatch(new RegExp(`Codec server\\s+${codecUrl} `));
  // As the README prints it, only pointed at this test's ports: no management key for the CLI.
  expect(output).toMatch(
    / {2}(TEMPORAL_ADDRESS=\S+ )?(KEY_ROTATOR_CODEC_KEY_FILE=\S+ )?npx --no-install key-rotator rotate demo-app --wait$/m,
  );
  expect(output).not.toMatch(/MANAGEMENT_KEY\S*=\S* npx --no-install key-rotator/);
  const settings = await (await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`)).text();
  expect(settings).toContain(codecUrl);

  const [run] = (
    await connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${rotationWorkflowId('demo-app')}' AND ExecutionStatus = 'Completed'`,
    })
  ).executions;
  const history = await connection.workflowService.getWorkflowExecutionHistory({
    namespace: 'default',
    execution: run!.execution!,
  });
  const input = history.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
  const wire = input.map((p) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data!).toString('base64'),
  }));
  expect(JSON.stringify(wire)).not.toContain('demo-app');
  const res = await fetch(`${codecUrl}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${ports.ui}` },
    body: JSON.stringify({ payloads: wire }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${ports.ui}`);
  const decoded = (await res.json()) as { payloads: { data: string }[] };
  const text = Buffer.from(decoded.payloads[0]!.data, 'base64').toString('utf8');
  expect(text).toContain('"name":"demo-app"');
  expect(text).not.toMatch(/sk-or-v1-[0-9a-f]{64}/);
}

/** The emulator's saved keys, read from its state file while it is stopped. */
function savedEmulatorKeys(): unknown[] {
  const saved = JSON.parse(readFileSync(path.join(dataDir, 'emulator-state.json'), 'utf8')) as {
    keys: unknown[];
  };
  return saved.keys;
}
