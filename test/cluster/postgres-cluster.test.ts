/**
 * The production path of docker-compose.yml, run for real without Docker: PostgreSQL, the
 * stack's own schema job (deploy/temporal/setup-postgres.sh) and namespace job
 * (deploy/temporal/create-namespace.sh) run as they are, the real Temporal server at the version
 * the compose file pins (temporalio/server:1.31.0 and admin-tools:1.31.0: `temporal-server` and
 * `temporal-sql-tool` v1.31.0 built from scripts/go/temporal-server), configured from the
 * compose file's own environment as the image does, and two `key-rotator worker` processes
 * running the compiled product from the image layout the Dockerfile describes, with the worker
 * service's settings (codec key and management key from files, policy file, metrics).
 *
 * Everything compose-specific is read from docker-compose.yml through compose-check (Docker
 * Compose's own loader); only what cannot be the same outside containers changes: host names
 * become 127.0.0.1, ports become free loopback ports, /run/secrets files and the policy's
 * OpenRouter URL and folder point at the test's own (the OpenRouter emulator, a temp folder).
 *
 * PostgreSQL is the machine's (15 here; the compose file runs 16): Temporal supports both.
 * Slow (minutes): `npm run test:cluster` runs this file alone.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { startChaosDestinations, type ChaosDestinations } from '../../scripts/chaos/destinations.js';
import { chaosFaultPlan } from '../../scripts/chaos/fault-plan.js';
import { auditEndState } from '../../scripts/chaos/final-audit.js';
import { startMonitor, type Monitor } from '../../scripts/chaos/monitor.js';
import { Violations } from '../../scripts/chaos/violations.js';
import { createRotatorDataConverter } from '../../src/codec/data-converter.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import {
  rotationReasonKey,
  rotationScheduleId,
  rotationWorkflowId,
  SEARCH_ATTRIBUTES,
  statusQuery,
  type RotationResult,
} from '../../src/workflow-contract/messages.js';
import { findFreePort, killOnExit, waitFor } from '../support/net.js';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';
import { goTestServer, startTemporalServer, type TemporalServer } from '../support/temporal-server.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const repoPath = (...parts: string[]) => path.join(repoRoot, ...parts);
const fixtureBin = repoPath('test', 'fixtures', 'cluster', 'bin');
/** The Temporal version docker-compose.yml pins, and the one scripts/go/temporal-server builds. */
const TEMPORAL_VERSION = '1.31.0';
/** The temporalio/server image's WORKDIR: relative paths in its environment start here. */
const SERVER_IMAGE_WORKDIR = '/etc/temporal';
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// docker-compose.yml as Docker Compose resolves it (compose-check prints the resolved project).

const resolvedService = z.looseObject({
  image: z.string().optional(),
  environment: z.record(z.string(), z.string().nullable()).optional(),
  command: z.array(z.string()).nullable().optional(),
  volumes: z
    .array(z.looseObject({ type: z.string(), source: z.string().optional(), target: z.string() }))
    .optional(),
});
const resolvedProject = z.looseObject({ services: z.record(z.string(), resolvedService) });
type ResolvedProject = z.infer<typeof resolvedProject>;

function environmentOf(project: ResolvedProject, service: string): Record<string, string> {
  const env = project.services[service]?.environment;
  if (!env) throw new Error(`docker-compose.yml has no environment for service ${service}`);
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value ?? '']));
}

/** Loads docker-compose.yml with Docker Compose's loader, TEMPORAL_DB_PASSWORD from a test .env. */
async function loadCompose(dir: string, databasePassword: string): Promise<ResolvedProject> {
  const envFile = path.join(dir, 'compose.env');
  writeFileSync(envFile, `TEMPORAL_DB_PASSWORD=${databasePassword}\n`, { mode: 0o600 });
  const { stdout } = await run(
    goTestServer('compose-check'),
    ['--env-file', envFile, '--project-dir', repoRoot, repoPath('docker-compose.yml')],
    { maxBuffer: 16 << 20 },
  );
  return resolvedProject.parse(JSON.parse(stdout));
}

// ---------------------------------------------------------------------------------------------
// Processes of the run.

/** The environment a container starts from: this process's, without any setting of ours. */
function baseEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(TEMPORAL_|KEY_ROTATOR_|OPENROUTER_|POSTGRES_|SQL_|DB)/.test(name)) env[name] = value;
  }
  return { ...env, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', ...extra };
}

/** Runs a compose one-shot job's script with `sh`, as its `entrypoint: /bin/sh` does. */
async function runJob(script: string, env: NodeJS.ProcessEnv, log: string): Promise<string> {
  try {
    const { stdout, stderr } = await run('sh', [script], { env, timeout: 300_000, maxBuffer: 16 << 20 });
    writeFileSync(log, `$ sh ${script}\n${stdout}${stderr}\n`, { flag: 'a' });
    return stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${path.basename(script)} failed:\n${stdout}${stderr}`);
  }
}

/** One `key-rotator worker` process of the image layout; a new process on each start(). */
class WorkerProcess {
  #child: ChildProcess | undefined;
  #forget = () => undefined as void;
  /** Times a process exited without being asked to. */
  unexpectedExits = 0;

  constructor(
    private readonly name: string,
    private readonly cwd: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  get alive(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a', mode: 0o600 });
    const child = spawn(process.execPath, ['bin/key-rotator.js', 'worker'], {
      cwd: this.cwd,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#forget = killOnExit(child);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('exit', () => {
      if (this.#child === child) this.unexpectedExits += 1;
      log.end();
    });
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => (seen = (seen + chunk.toString()).slice(-4_000)));
    await waitFor(async () => seen.includes('worker polling task queue'), {
      timeoutMs: 120_000,
      what: `worker ${this.name} polling`,
      abortIf: () => {
        if (child.exitCode !== null) throw new Error(`worker ${this.name} exited: ${seen}`);
      },
    });
  }

  /** SIGKILL: no chance to finish anything. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL');
  }

  /** SIGTERM, as `docker compose stop` sends. */
  async stop(): Promise<void> {
    await this.#end('SIGTERM');
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    this.#forget();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements.

/** Rows and row bytes (pg_column_size, i.e. as stored, before page and index overhead) per table. */
type TableSizes = Map<string, { rows: number; bytes: number }>;

async function tableSizes(pg: PostgresServer): Promise<TableSizes> {
  const sizes: TableSizes = new Map();
  for (const database of ['temporal', 'temporal_visibility']) {
    const tables = (
      await pg.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", database)
    )
      .split('\n')
      .filter(Boolean);
    const sql = tables
      .map((t) => `SELECT '${t}', count(*), coalesce(sum(pg_column_size(x.*)), 0) FROM "${t}" x`)
      .join(' UNION ALL ');
    for (const line of (await pg.query(sql, database)).split('\n').filter(Boolean)) {
      const [table, rows, bytes] = line.split('|');
      sizes.set(`${database}.${table}`, { rows: Number(rows), bytes: Number(bytes) });
    }
  }
  return sizes;
}

/** Queues the server empties as it works (tasks, membership): not what a rotation leaves behind. */
const TRANSIENT_TABLES = /_tasks$|queue|cluster_membership|shards$/;

/** Rows and row bytes a run left behind (kept until the namespace's retention ends). */
function sizeGrowth(
  before: TableSizes,
  after: TableSizes,
): { rows: number; bytes: number; byTable: Record<string, number> } {
  let rows = 0;
  let bytes = 0;
  const byTable: Record<string, number> = {};
  for (const [table, now] of after) {
    if (TRANSIENT_TABLES.test(table)) continue;
    const then = before.get(table) ?? { rows: 0, bytes: 0 };
    rows += now.rows - then.rows;
    bytes += now.bytes - then.bytes;
    if (now.rows !== then.rows) byTable[table] = now.rows - then.rows;
  }
  return { rows, bytes, byTable };
}

/** The server's own `action` counter (what Temporal Cloud bills), by action type, for one namespace. */
async function actionCounts(metricsUrl: string, namespace: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    // `action_total` from the server's OpenTelemetry exporter (counters get the _total suffix).
    if (!/^action(_total)?\{/.test(line)) continue;
    if (!line.includes(`namespace="${namespace}"`)) continue;
    const type = /action_type="([^"]+)"/.exec(line)?.[1] ?? 'unknown';
    counts.set(type, (counts.get(type) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** The test's own calls: status queries (watching) and schedule triggers (standing in for the clock). */
const TEST_ONLY_ACTIONS = new Set(['grpc_QueryWorkflow', 'grpc_PatchSchedule']);

/**
 * Billable actions between two readings, without the test's own calls ({@link TEST_ONLY_ACTIONS});
 * individual markers are billed as one batch per workflow task (the server's own note), so only
 * command_BatchMarkers counts for them.
 */
function billableActions(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [type, value] of after) {
    if (TEST_ONLY_ACTIONS.has(type) || type.startsWith('command_COMMAND_TYPE_RECORD_MARKER')) continue;
    const grown = value - (before.get(type) ?? 0);
    if (grown > 0) delta[type] = grown;
  }
  return delta;
}

/** OpenRouter API requests the emulator received since `since` (ms since the epoch). */
function openRouterRequestsSince(since: number): number {
  return emulator.snapshot().requests.filter((r) => r.receivedAt >= since).length;
}

interface HistoryCost {
  events: number;
  bytes: number;
}

async function historyCost(client: Client, workflowId: string, runId?: string): Promise<HistoryCost> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return {
    events: history.events?.length ?? 0,
    bytes: temporal.api.history.v1.History.encode(history).finish().length,
  };
}

// ---------------------------------------------------------------------------------------------

const NAMES = ['cluster-a', 'cluster-b', 'cluster-c', 'cluster-d'] as const;
const SCHEDULED = 'cluster-scheduled';
const GRACE = '20s';

let dir: string;
let compose: ResolvedProject;
let pg: PostgresServer;
let server: TemporalServer;
let serverMetricsUrl: string;
let emulator: RunningEmulator;
let destinations: ChaosDestinations;
const workers: WorkerProcess[] = [];
let connection: Connection;
let client: Client;
let namespace: string;
let runtimeDir: string;
let cliEnv: NodeJS.ProcessEnv;
let rotationsFile: string;
const timings: Record<string, number> = {};
const measured: Record<string, unknown> = {};
let schemaJobOutput = '';
let namespaceJobOutput = '';

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[what] = Date.now() - started;
  }
}

/** The dotenv destinations' folder, the policy's only file root. */
const fileRoot = () => path.join(dir, 'data');

function writeRotations(rotateAt: Record<string, string>): void {
  const config = {
    version: 1,
    rotations: Object.entries(rotateAt).map(([name, at]) => ({
      name,
      description: 'cluster test',
      openrouter: {
        managementKeyEnv: 'OPENROUTER_MANAGEMENT_KEY',
        baseUrl: emulator.apiBaseUrl,
        key: { name },
      },
      schedule: { intervalDays: 1, rotateAt: at, timezone: 'UTC' },
      gracePeriod: GRACE,
      verify: { newKeyWindow: '10s' },
      destinations: destinations.configFor(name),
    })),
  };
  writeFileSync(rotationsFile, stringifyYaml(config), { mode: 0o600 });
}

async function keyRotator(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, ['bin/key-rotator.js', ...args], {
      cwd: runtimeDir,
      env: cliEnv,
      timeout: 120_000,
    });
    return stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`key-rotator ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** The run id of the latest rotation of `name`, or undefined before the first. */
async function latestRun(name: string): Promise<string | undefined> {
  try {
    return (await client.workflow.getHandle(rotationWorkflowId(name)).describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Resolves once the run has closed, however it closed, and visibility (where the end-state audit
 * lists running runs) says so too: on this cluster, visibility lags the close.
 */
async function runClosed(workflowId: string, runId: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId, runId).result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
  }
  const query = `WorkflowId = '${workflowId}' AND RunId = '${runId}' AND ExecutionStatus = 'Running'`;
  await waitFor(
    async () => {
      for await (const _ of client.workflow.list({ query })) return false;
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `visibility to list ${workflowId} run ${runId} as closed` },
  );
}

/** `key-rotator rotate` for each name; resolves with the new run ids. */
async function rotateNow(names: readonly string[]): Promise<Map<string, string>> {
  const runs = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      await keyRotator(['rotate', name, '--reason', 'cluster test']);
      runs.set(name, (await latestRun(name))!);
    }),
  );
  return runs;
}

async function waitForStep(runs: Map<string, string>, step: string, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    async () => {
      for (const [name, runId] of runs) {
        const status = await client.workflow.getHandle(rotationWorkflowId(name), runId).query(statusQuery);
        if (status.step !== step) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 500, what: `every rotation in step ${step}` },
  );
}

async function results(runs: Map<string, string>): Promise<Map<string, RotationResult>> {
  const all = new Map<string, RotationResult>();
  await Promise.all(
    [...runs].map(async ([name, runId]) => {
      all.set(name, await client.workflow.getHandle(rotationWorkflowId(name), runId).result());
      await runClosed(rotationWorkflowId(name), runId); // before an audit lists the running runs
    }),
  );
  return all;
}

/** Watches every destination against the emulator until `stop`, then audits the end state. */
function watch(names: readonly string[]): { monitor: Monitor; violations: Violations } {
  const violations = new Violations(Date.now(), (v) => console.log(`VIOLATION ${v.kind}: ${v.detail}`));
  const monitor = startMonitor({
    destinations,
    names,
    readState: async () => emulator.snapshot(),
    violations,
    log: () => undefined,
  });
  return { monitor, violations };
}

async function audit(names: readonly string[], watched: { monitor: Monitor; violations: Violations }) {
  await watched.monitor.checkOnce();
  const figures = await watched.monitor.stop();
  await auditEndState({
    client,
    names,
    destinations,
    state: emulator.snapshot(),
    everHeld: figures.heldKeyHashes,
    violations: watched.violations,
  });
  expect(figures.checks, 'monitor rounds').toBeGreaterThan(10);
  expect(watched.violations.list).toEqual([]);
}

/** A key "created by hand" 30 days ago (due for rotation), in every destination of `name`. */
async function seedHandMadeKey(name: string): Promise<void> {
  const seeded = emulator.seedKey({ name: 'created by hand', createdAt: new Date(Date.now() - 30 * DAY_MS) });
  await destinations.seed(name, seeded.key);
}

/** HH:MM (UTC) of the first whole minute at least `leadMs` from now. */
function wallTimeAfter(leadMs: number): { at: string; instant: Date } {
  const instant = new Date(Math.ceil((Date.now() + leadMs) / 60_000) * 60_000);
  const at = `${String(instant.getUTCHours()).padStart(2, '0')}:${String(instant.getUTCMinutes()).padStart(2, '0')}`;
  return { at, instant };
}

beforeAll(async () => {
  const started = Date.now();
  dir = mkdtempSync(path.join(tmpdir(), 'cluster-test-'));
  mkdirSync(fileRoot(), { mode: 0o700 });
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  console.log(`cluster test files (logs, rotations, policy) in ${dir}`);
  const databasePassword = randomBytes(18).toString('hex');
  compose = await loadCompose(dir, databasePassword);
  const cliPath = inject('temporalCliPath');

  // The image layout (compiled product, production dependencies) builds while the cluster starts.
  const layout = timed('image layout build', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', repoPath('scripts/build-image-layout.ts'), path.join(dir, 'image')],
      { cwd: repoRoot, timeout: 900_000, maxBuffer: 64 << 20 },
    );
    return z
      .record(z.string(), z.object({ dir: z.string(), env: z.record(z.string(), z.string()) }))
      .parse(JSON.parse(stdout.trim().split('\n').at(-1)!)).runtime!;
  });

  await timed('cluster start', async () => {
    const database = environmentOf(compose, 'postgresql');
    pg = await startPostgresServer({ user: database.POSTGRES_USER, password: database.POSTGRES_PASSWORD! });

    // The compose jobs' environments, with the service host names and ports of this machine.
    const onThisMachine = (env: Record<string, string>) => ({
      ...env,
      POSTGRES_SEEDS: pg.host,
      DB_PORT: String(pg.port),
    });
    const toolPath = [fixtureBin, path.dirname(goTestServer('temporal-sql-tool')), process.env.PATH].join(
      path.delimiter,
    );
    const schemaJob = baseEnvironment({
      ...onThisMachine(environmentOf(compose, 'temporal-schema-setup')),
      PATH: toolPath,
    });
    // Twice: `restart: on-failure` and every `docker compose up` run it again on a set-up database.
    schemaJobOutput = await runJob(
      repoPath('deploy/temporal/setup-postgres.sh'),
      schemaJob,
      path.join(logs, 'jobs.log'),
    );
    schemaJobOutput += await runJob(
      repoPath('deploy/temporal/setup-postgres.sh'),
      schemaJob,
      path.join(logs, 'jobs.log'),
    );

    // The server image's working folder, with the dynamic config mounted where compose mounts it.
    const workDir = path.join(dir, 'temporal-workdir');
    for (const volume of compose.services.temporal!.volumes ?? []) {
      const relative = path.relative(SERVER_IMAGE_WORKDIR, volume.target);
      expect(relative.startsWith('..'), `${volume.target} is under the image's ${SERVER_IMAGE_WORKDIR}`).toBe(
        false,
      );
      mkdirSync(path.dirname(path.join(workDir, relative)), { recursive: true });
      symlinkSync(volume.source!, path.join(workDir, relative));
    }
    const serverMetricsPort = await findFreePort();
    serverMetricsUrl = `http://127.0.0.1:${serverMetricsPort}/metrics`;
    server = await startTemporalServer({
      env: {
        ...onThisMachine(environmentOf(compose, 'temporal')),
        // Loopback here; compose binds 0.0.0.0 inside the container's own network.
        BIND_ON_IP: '127.0.0.1',
        // Not in compose: the server's Prometheus endpoint, for its billable-action counter.
        PROMETHEUS_ENDPOINT: `127.0.0.1:${serverMetricsPort}`,
      },
      workDir,
      logFile: path.join(logs, 'temporal-server.log'),
      cliPath,
    });

    const namespaceEnv = environmentOf(compose, 'temporal-create-namespace');
    namespace = namespaceEnv.TEMPORAL_NAMESPACE!;
    const namespaceJob = baseEnvironment({
      ...namespaceEnv,
      TEMPORAL_ADDRESS: server.address,
      PATH: [fixtureBin, path.dirname(cliPath), process.env.PATH].join(path.delimiter),
    });
    namespaceJobOutput = await runJob(
      repoPath('deploy/temporal/create-namespace.sh'),
      namespaceJob,
      path.join(logs, 'jobs.log'),
    );
    namespaceJobOutput += await runJob(
      repoPath('deploy/temporal/create-namespace.sh'),
      namespaceJob,
      path.join(logs, 'jobs.log'),
    );
  });

  emulator = await startEmulator();
  destinations = await startChaosDestinations({
    fileRoot: fileRoot(),
    external: false,
    plan: chaosFaultPlan({ seed: 1, rotations: 1, minutes: 1 }),
    seed: 1,
    log: () => undefined,
  });
  for (const name of NAMES) await seedHandMadeKey(name);

  // The worker service's secrets and policy, as files of this run.
  const secrets = path.join(dir, 'secrets');
  mkdirSync(secrets, { mode: 0o700 });
  const keyringJson = JSON.stringify({ active: 'k1', keys: { k1: randomBytes(32).toString('base64') } });
  const secretFiles: Record<string, string> = {
    '/run/secrets/codec-keyring': keyringJson,
    '/run/secrets/sealing-keyring': JSON.stringify({
      active: 's1',
      keys: { s1: randomBytes(32).toString('base64') },
    }),
    '/run/secrets/openrouter-management-key': emulator.managementKey,
  };
  const policy = z
    .looseObject({
      openrouter: z.looseObject({ baseUrls: z.array(z.string()) }),
      destinations: z.looseObject({ fileRoots: z.array(z.string()) }),
    })
    .parse(parseYaml(readFileSync(repoPath('deploy/worker-policy.example.yaml'), 'utf8')));
  policy.openrouter.baseUrls = [emulator.apiBaseUrl];
  policy.destinations.fileRoots = [fileRoot()];
  const policyFile = path.join(secrets, 'worker-policy.yaml');
  writeFileSync(policyFile, stringifyYaml(policy), { mode: 0o600 });

  const runtime = await layout;
  runtimeDir = runtime.dir;
  const workerEnvironment = (metricsPort: number) => {
    const env: Record<string, string> = { ...runtime.env };
    for (const [name, value] of Object.entries(environmentOf(compose, 'worker'))) {
      if (secretFiles[value] !== undefined) {
        const file = path.join(secrets, path.basename(value));
        writeFileSync(file, secretFiles[value], { mode: 0o600 });
        env[name] = file;
      } else {
        env[name] = value;
      }
    }
    env.TEMPORAL_ADDRESS = server.address;
    env.KEY_ROTATOR_POLICY = policyFile;
    // Compose publishes 0.0.0.0:9464 of each container; here each worker needs a port of its own.
    env.KEY_ROTATOR_METRICS_ADDRESS = `127.0.0.1:${metricsPort}`;
    return baseEnvironment(env);
  };
  cliEnv = workerEnvironment(await findFreePort());
  delete cliEnv.KEY_ROTATOR_METRICS_ADDRESS;
  for (const name of ['worker-1', 'worker-2']) {
    workers.push(
      new WorkerProcess(
        name,
        runtimeDir,
        workerEnvironment(await findFreePort()),
        path.join(logs, `${name}.log`),
      ),
    );
  }
  await timed('workers start', () => Promise.all(workers.map((w) => w.start())));

  connection = await Connection.connect({ address: server.address });
  client = new Client({
    connection,
    namespace,
    dataConverter: await createRotatorDataConverter({ keyring: parseKeyring(keyringJson, 'test keyring') }),
  });
  rotationsFile = path.join(dir, 'rotations.yaml');
  // Far from now: no schedule fires on its own until the schedule test moves one near.
  const far = wallTimeAfter(12 * 3_600_000).at;
  writeRotations(Object.fromEntries(NAMES.map((name) => [name, far])));
  await keyRotator(['apply', '-f', rotationsFile]);
  timings['set-up in all'] = Date.now() - started;
}, 1_200_000);

afterAll(async () => {
  console.log(`cluster test timings (ms): ${JSON.stringify(timings)}`);
  if (Object.keys(measured).length > 0)
    console.log(`cluster test measurements: ${JSON.stringify(measured, null, 2)}`);
  for (const worker of workers) await worker.stop().catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await server?.stop();
  await pg?.stop();
  await destinations?.stop();
  await emulator?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 180_000);

describe('the compose stack on a real Temporal cluster with PostgreSQL', () => {
  it(`sets up PostgreSQL and the namespace with the stack's own jobs, on Temporal server ${TEMPORAL_VERSION}`, async () => {
    expect(schemaJobOutput.match(/PostgreSQL schemas are ready/g)).toHaveLength(2);
    expect(namespaceJobOutput).toContain(`namespace ${namespace} exists`);
    // The images compose pins are the version this server was built from.
    expect(compose.services.temporal!.image).toMatch(new RegExp(`^temporalio/server:${TEMPORAL_VERSION}@`));
    expect(compose.services['temporal-schema-setup']!.image).toMatch(
      new RegExp(`^temporalio/admin-tools:${TEMPORAL_VERSION}@`),
    );
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBe(TEMPORAL_VERSION);
    expect(readFileSync(repoPath('scripts/go/temporal-server/go.mod'), 'utf8')).toMatch(
      new RegExp(`go\\.temporal\\.io/server v${TEMPORAL_VERSION}\\n`),
    );
    // Both databases exist, with their schemas at a version.
    for (const database of ['temporal', 'temporal_visibility']) {
      expect(await pg.query('SELECT curr_version FROM schema_version', database)).toMatch(/^\d+\.\d+/);
    }
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) {
      expect(listed.customAttributes[name], name).toBe(
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      );
    }
  });

  it("runs two compiled workers that pass the compose file's health check", async () => {
    for (const worker of workers) {
      expect(worker.alive).toBe(true);
      // The worker service's healthcheck: `node deploy/healthcheck.js` with the worker's environment.
      await run(process.execPath, ['deploy/healthcheck.js'], {
        cwd: runtimeDir,
        env: worker.env,
        timeout: 20_000,
      });
    }
    // Compiled JavaScript of the image layout, not the sources.
    const { stderr } = await run(process.execPath, ['bin/key-rotator.js', '--help'], {
      cwd: runtimeDir,
      env: { ...cliEnv, KEY_ROTATOR_SHOW_LAUNCH: '1' },
    });
    expect(stderr).toContain('(compiled)');
  });

  it('finishes every rotation on the other worker when one is SIGKILLed in a grace period: no orphan, every destination on a live key', async () => {
    const watched = watch(NAMES);
    const sizesBefore = await tableSizes(pg);
    const runs = await rotateNow(NAMES);
    await waitForStep(runs, 'grace');
    await workers[0]!.kill();

    const finished = await results(runs);
    for (const [name, result] of finished) expect(result.outcome, name).toBe('succeeded');
    expect(workers[1]!.alive, 'the surviving worker').toBe(true);
    await audit(NAMES, watched);

    const growth = sizeGrowth(sizesBefore, await tableSizes(pg));
    measured['manual rotation, PostgreSQL rows and row bytes kept per rotation'] = {
      rows: growth.rows / NAMES.length,
      bytes: Math.round(growth.bytes / NAMES.length),
      rowsByTable: growth.byTable,
    };
  }, 600_000);

  it('continues the rotations across a restart of the Temporal server process', async () => {
    await workers[0]!.start(); // compose's `restart: unless-stopped`
    const watched = watch(NAMES);
    const runs = await rotateNow(NAMES);
    await waitForStep(runs, 'grace');
    const pidBefore = server.pid;
    await timed('server restart', () => server.restart());
    expect(server.pid).not.toBe(pidBefore);

    const finished = await results(runs);
    for (const [name, result] of finished) expect(result.outcome, name).toBe('succeeded');
    await audit(NAMES, watched);
    measured['worker exits during the server restart (compose restarts them)'] = workers.map(
      (w) => w.unexpectedExits,
    );
    for (const worker of workers) if (!worker.alive) await worker.start();

    const costs = await Promise.all(
      [...runs].map(([name, runId]) => historyCost(client, rotationWorkflowId(name), runId)),
    );
    measured['manual rotation history (events, bytes; encrypted payloads)'] = costs;
  }, 600_000);

  it("fires a rotation from its schedule at rotateAt, by the server's own clock", async () => {
    const names = [...NAMES, SCHEDULED];
    // Seeded only now: before its first rotation, no audit may see its hand-made key as an orphan.
    await seedHandMadeKey(SCHEDULED);
    const watched = watch(names);
    const far = wallTimeAfter(12 * 3_600_000).at;
    const near = wallTimeAfter(45_000);
    writeRotations({ ...Object.fromEntries(NAMES.map((name) => [name, far])), [SCHEDULED]: near.at });
    await keyRotator(['apply', '-f', rotationsFile]);
    const actionsBefore = await actionCounts(serverMetricsUrl, namespace);
    const sizesBefore = await tableSizes(pg);
    const requestsSince = Date.now();

    // Nothing triggers it: the schedule starts the rotation when the server's clock reaches rotateAt.
    const runId = await waitFor(() => latestRun(SCHEDULED), {
      timeoutMs: near.instant.getTime() - Date.now() + 120_000,
      intervalMs: 1_000,
      what: `a rotation of ${SCHEDULED} started by its schedule at ${near.at} UTC`,
    });
    const handle = client.workflow.getHandle(rotationWorkflowId(SCHEDULED), runId);
    const result = await handle.result();
    expect(result.outcome).toBe('succeeded');
    const described = await handle.describe();
    expect(described.startTime.getTime()).toBeGreaterThanOrEqual(near.instant.getTime() - 1_000);
    expect(described.typedSearchAttributes.get(rotationReasonKey)).toBe('scheduled');
    // The other schedules (12 hours away) started nothing.
    for (const name of NAMES) {
      const latest = await client.workflow.getHandle(rotationWorkflowId(name)).describe();
      expect(latest.startTime.getTime(), name).toBeLessThan(near.instant.getTime());
    }
    const parent = described.parentExecution;
    expect(parent, 'the rotation runs as the child of the scheduled workflow').toBeDefined();
    // The schedule's own run closes only after the rotation's result has reached it, a moment after
    // the result above, and visibility learns of each close later still: the audit lists every run
    // visibility has as running, so it waits for both runs to be closed there.
    await runClosed(rotationWorkflowId(SCHEDULED), runId);
    await runClosed(parent!.workflowId!, parent!.runId!);
    await audit(names, watched);

    // The measured cost of one scheduled rotation (the schedule's run and the rotation it starts).
    await new Promise((resolve) => setTimeout(resolve, 5_000)); // the server's metrics catch up
    const actions = billableActions(actionsBefore, await actionCounts(serverMetricsUrl, namespace));
    const rotation = await historyCost(client, rotationWorkflowId(SCHEDULED), runId);
    const scheduled = await historyCost(client, parent!.workflowId!, parent!.runId ?? undefined);
    const growth = sizeGrowth(sizesBefore, await tableSizes(pg));
    measured['scheduled rotation'] = {
      openRouterRequests: openRouterRequestsSince(requestsSince),
      rotationHistory: rotation,
      scheduledWorkflowHistory: scheduled,
      actionsCountedByServer: actions,
      actionsCountedByServerTotal: Object.values(actions).reduce((a, b) => a + b, 0),
      postgresRowsKept: growth.rows,
      postgresRowBytesKept: growth.bytes,
      postgresRowsByTable: growth.byTable,
    };
    expect(rotation.events).toBeGreaterThan(10);
    // Far below Temporal's history limits (warn at 10,240 events, 10 MB).
    expect(rotation.events + scheduled.events).toBeLessThan(10_240);
    expect(rotation.bytes + scheduled.bytes).toBeLessThan(10 << 20);
  }, 600_000);

  it('skips the daily wake-up of a key that is not due, and measures what that wake-up costs', async () => {
    // Every key's schedule wakes it once a day; on all but one day in `intervalDays` the rotation
    // finds the key not due. At scale these wake-ups are most of the load.
    const previous = (await latestRun(SCHEDULED))!;
    const actionsBefore = await actionCounts(serverMetricsUrl, namespace);
    const sizesBefore = await tableSizes(pg);
    const requestsSince = Date.now();
    await client.schedule.getHandle(rotationScheduleId(SCHEDULED)).trigger();
    const runId = await waitFor(
      async () => ((await latestRun(SCHEDULED)) !== previous ? latestRun(SCHEDULED) : false),
      {
        timeoutMs: 120_000,
        intervalMs: 500,
        what: `the triggered wake-up of ${SCHEDULED}`,
      },
    );
    const handle = client.workflow.getHandle(rotationWorkflowId(SCHEDULED), runId);
    const result = await handle.result();
    expect(result.outcome).toBe('skipped');
    expect(result.skippedBecause).toBeTruthy();

    await new Promise((resolve) => setTimeout(resolve, 5_000)); // the server's metrics catch up
    const actions = billableActions(actionsBefore, await actionCounts(serverMetricsUrl, namespace));
    const parent = (await handle.describe()).parentExecution!;
    const growth = sizeGrowth(sizesBefore, await tableSizes(pg));
    measured['daily wake-up, key not due'] = {
      skippedBecause: result.skippedBecause,
      openRouterRequests: openRouterRequestsSince(requestsSince),
      rotationHistory: await historyCost(client, rotationWorkflowId(SCHEDULED), runId),
      scheduledWorkflowHistory: await historyCost(client, parent.workflowId!, parent.runId ?? undefined),
      actionsCountedByServer: actions,
      actionsCountedByServerTotal: Object.values(actions).reduce((a, b) => a + b, 0),
      postgresRowsKept: growth.rows,
      postgresRowBytesKept: growth.bytes,
      postgresRowsByTable: growth.byTable,
    };
  }, 300_000);
});
