/**
 * A fleet of rotations at once (real dev server, in-process workers, the OpenRouter emulator behind
 * a counting proxy, file destinations): how close the run comes to the physical limit the
 * configured request rate sets (N × calls per rotation ÷ rate), the busiest one-second window of
 * HTTP requests. The same fleet without a limit that matters is the baseline. The worker's memory
 * is measured in a worker process of its own (memory-rows.ts): here the workers share the bench's
 * process with its client. (This was scripts/bench-openrouter-rate-limit.ts.)
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDefaultDependencies } from '../../src/activities/default-dependencies.js';
import { createRotatorDataConverter } from '../../src/codec/data-converter.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { SecretSealer } from '../../src/codec/secret-sealer.js';
import { rotationSchema, type RotationConfig } from '../../src/config/schema.js';
import { startEmulator } from '../../src/emulator/server.js';
import { workerPolicyFromRules } from '../../src/policy/load-worker-policy.js';
import { createRotationWorkers } from '../../src/worker/rotation-workers.js';
import { rotationWorkflow } from '../../src/workflows/index.js';
import { rotationNameKey, rotationWorkflowId } from '../../src/workflow-contract/messages.js';
import type { BenchEnv } from './bench-env.js';
import type { BenchRow } from './row.js';

/** Most timestamps within any one-second window. */
export function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** A loopback proxy in front of the emulator that notes when each request arrives (all of them). */
async function countingProxy(target: URL): Promise<{ url: string; arrivals: number[]; server: Server }> {
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    arrivals.push(Date.now());
    const forward = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${target.pathname}`, arrivals, server };
}

interface FleetRun {
  wallSeconds: number;
  requests: number;
  busiest: number;
}

async function runFleet(env: BenchEnv, size: number, rate: number): Promise<FleetRun> {
  const emulator = await startEmulator();
  const proxy = await countingProxy(new URL(emulator.apiBaseUrl));
  const dir = await mkdtemp(join(tmpdir(), 'bench-fleet-'));
  const keyring = parseKeyring(randomBytes(32).toString('base64'), 'bench');
  const dataConverter = await createRotatorDataConverter({ keyring });
  const namespace = await env.namespace(`fleet-rate${size}`);
  const connection = await Connection.connect({ address: env.server.address });
  const native = await NativeConnection.connect({ address: env.server.address });
  const client = new Client({ connection, namespace, dataConverter });
  try {
    const taskQueue = `bench-${randomBytes(3).toString('hex')}`;
    const workers = await createRotationWorkers({
      connection: native,
      namespace,
      taskQueue,
      dataConverter,
      dependencies: createDefaultDependencies({
        sealer: new SecretSealer(parseKeyring(randomBytes(32).toString('base64'), 'bench sealing')),
        env: { BENCH_MANAGEMENT_KEY: emulator.managementKey },
        openRouterRequestsPerSecond: rate,
        policy: workerPolicyFromRules({
          openrouter: { baseUrls: [proxy.url], managementKeyEnvs: ['BENCH_MANAGEMENT_KEY'] },
          destinations: { fileRoots: [dir] },
        }),
      }),
      workflowBundle: { codePath: env.workflowBundle },
      openRouterRequestsPerSecond: rate,
    });
    const rotations: RotationConfig[] = [];
    for (let i = 0; i < size; i++) {
      const name = `${taskQueue}-${i}`;
      const seeded = emulator.seedKey({ name: 'by hand', createdAt: new Date(Date.now() - 40 * 86_400_000) });
      const path = join(dir, `${name}.env`);
      await writeFile(path, `OPENROUTER_API_KEY=${seeded.key}\n`, { mode: 0o600 });
      rotations.push(
        rotationSchema.parse({
          name,
          openrouter: { managementKeyEnv: 'BENCH_MANAGEMENT_KEY', baseUrl: proxy.url, key: { name } },
          schedule: { intervalDays: 1 },
          gracePeriod: '0s',
          destinations: [{ type: 'file', path }],
        }),
      );
    }
    proxy.arrivals.length = 0;
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
    return {
      wallSeconds: (Date.now() - started) / 1000,
      requests: proxy.arrivals.length,
      busiest: busiestSecond(proxy.arrivals),
    };
  } finally {
    await connection.close();
    await native.close();
    proxy.server.close();
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function fleetRows(env: BenchEnv, sizes: number[], rate: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const baseline = await runFleet(env, size, 10_000);
    const limited = await runFleet(env, size, rate);
    const callsPerRotation = limited.requests / size;
    const physicalLimitSeconds = (size * callsPerRotation) / rate;
    const used = physicalLimitSeconds / limited.wallSeconds;
    rows.push({
      what: `fleet of ${size} at ${rate} req/s: physical limit (N × calls ÷ rate) ÷ time`,
      measured:
        `${used.toFixed(2)} (${limited.wallSeconds.toFixed(1)} s for ${limited.requests} requests, ` +
        `${callsPerRotation.toFixed(1)} per rotation; unlimited baseline ${baseline.wallSeconds.toFixed(1)} s)`,
      goal: '≥ 0.97',
      met: used >= 0.97,
    });
    rows.push({
      what: `fleet of ${size}: busiest 1-s window of HTTP requests vs the configured rate`,
      measured: `${limited.busiest} vs ${rate} (unlimited baseline ${baseline.busiest})`,
      goal: 'never over',
      met: limited.busiest <= rate,
    });
  }
  return rows;
}
