/**
 * Benchmark: does a burst of concurrent rotations respect the OpenRouter rate limit?
 *
 * Runs the same burst of rotations (real dev server, real workers, the emulator, file
 * destinations) twice in one process: once with a limit too high to matter (the baseline) and
 * once with KEY_ROTATOR_OPENROUTER_RPS-style limiting at `LIMITED_RPS`. Prints the request rates
 * the emulator saw and their ratio to the baseline. The limit counts OpenRouter *activities* per
 * second on the API task queue; one activity makes 1–3 HTTP calls, which the figures show.
 *
 * Usage: npm run bench [-- <rotations> <limited-rps>]   (defaults: 12 rotations, 2/s)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime } from '@temporalio/worker';
import { createDefaultDependencies } from '../src/activities/default-dependencies.js';
import { createRotatorDataConverter, FAILURE_CONVERTER_PATH } from '../src/codec/data-converter.js';
import { parseKeyring } from '../src/codec/keyring.js';
import { SecretSealer } from '../src/codec/secret-sealer.js';
import { rotationSchema, type RotationConfig } from '../src/config/schema.js';
import { ensureTemporalCli } from '../src/dev/temporal-cli.js';
import { startTemporalDevServer } from '../src/dev/temporal-dev-server.js';
import { startEmulator, type RequestLogEntry } from '../src/emulator/server.js';
import { workerPolicyFromRules } from '../src/policy/load-worker-policy.js';
import { createRotationWorkers, WORKFLOWS_PATH } from '../src/rotation-worker.js';
import { rotationWorkflow } from '../src/workflows/index.js';
import { rotationNameKey, rotationWorkflowId } from '../src/workflows/messages.js';

const ROTATIONS = Number(process.argv[2] ?? 12);
const LIMITED_RPS = Number(process.argv[3] ?? 2);
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

interface RunFigures {
  label: string;
  limit: number;
  wallSeconds: number;
  requests: number;
  meanPerSecond: number;
  peakPerSecond: number;
}

/** Most requests that arrived within any one-second window. */
function peakPerSecond(requests: RequestLogEntry[]): number {
  const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new (await import('@temporalio/worker')).DefaultLogger('WARN') });
  const cliPath = await ensureTemporalCli();
  const server = await startTemporalDevServer({ cliPath });
  const emulator = await startEmulator();
  const dir = await mkdtemp(join(tmpdir(), 'bench-rate-'));
  const keyring = parseKeyring(randomBytes(32).toString('base64'), 'bench');
  const dataConverter = await createRotatorDataConverter({ keyring });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quiet,
  });
  const env = { BENCH_MANAGEMENT_KEY: emulator.managementKey };
  const policy = workerPolicyFromRules({
    openrouter: { baseUrls: [emulator.apiBaseUrl], managementKeyEnvs: ['BENCH_MANAGEMENT_KEY'] },
    destinations: { fileRoots: [dir] },
  });
  const figures: RunFigures[] = [];

  try {
    for (const [label, limit] of [
      ['baseline (limit 1000/s)', 1000],
      [`limited (${LIMITED_RPS}/s)`, LIMITED_RPS],
    ] as const) {
      emulator.reset();
      const taskQueue = `bench-${randomBytes(3).toString('hex')}`;
      const workers = await createRotationWorkers({
        connection: native,
        namespace: 'default',
        taskQueue,
        dataConverter,
        dependencies: createDefaultDependencies({ sealer: new SecretSealer(keyring), env, policy }),
        workflowBundle: bundle,
        openRouterRequestsPerSecond: limit,
      });
      const rotations: RotationConfig[] = [];
      for (let i = 0; i < ROTATIONS; i++) {
        const name = `${taskQueue}-${i}`;
        const seeded = emulator.seedKey({
          name: 'by hand',
          createdAt: new Date(Date.now() - 40 * 86_400_000),
        });
        const path = join(dir, `${name}.env`);
        await writeFile(path, `OPENROUTER_API_KEY=${seeded.key}\n`, { mode: 0o600 });
        rotations.push(
          rotationSchema.parse({
            name,
            openrouter: {
              managementKeyEnv: 'BENCH_MANAGEMENT_KEY',
              baseUrl: emulator.apiBaseUrl,
              key: { name },
            },
            schedule: { intervalDays: 1 },
            gracePeriod: '0s',
            destinations: [{ type: 'file', path }],
          }),
        );
      }
      const started = Date.now();
      await workers.runUntil(async () => {
        const handles = await Promise.all(
          rotations.map((rotation) =>
            client.workflow.start(rotationWorkflow, {
              taskQueue,
              workflowId: rotationWorkflowId(rotation.name),
              args: [{ rotation }],
              typedSearchAttributes: [{ key: rotationNameKey, value: rotation.name }],
            }),
          ),
        );
        await Promise.all(handles.map((h) => h.result()));
      });
      const wallSeconds = (Date.now() - started) / 1000;
      const requests = emulator.snapshot().requests;
      figures.push({
        label,
        limit,
        wallSeconds,
        requests: requests.length,
        meanPerSecond: requests.length / wallSeconds,
        peakPerSecond: peakPerSecond(requests),
      });
    }
  } finally {
    await connection.close();
    await native.close();
    await emulator.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }

  console.log(`\n${ROTATIONS} concurrent rotations (grace 0s), OpenRouter emulator on loopback\n`);
  console.log('run                       wall s   requests   mean req/s   peak req/s (any 1 s)');
  for (const f of figures) {
    console.log(
      `${f.label.padEnd(25)} ${f.wallSeconds.toFixed(1).padStart(6)}   ${String(f.requests).padStart(8)}   ` +
        `${f.meanPerSecond.toFixed(1).padStart(10)}   ${String(f.peakPerSecond).padStart(10)}`,
    );
  }
  const [base, limited] = figures;
  if (base && limited) {
    console.log(
      `\npeak ratio limited/baseline: ${(limited.peakPerSecond / base.peakPerSecond).toFixed(2)}; ` +
        `mean ratio: ${(limited.meanPerSecond / base.meanPerSecond).toFixed(2)}; ` +
        `limited peak per configured activity/s: ${(limited.peakPerSecond / LIMITED_RPS).toFixed(1)} requests`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
