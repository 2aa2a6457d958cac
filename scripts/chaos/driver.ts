/**
 * The chaos driver: the real system (the `key-rotator` binary, a worker process, a Temporal dev
 * server with a database file) against the OpenRouter emulator and the secret stores, with faults
 * everywhere: the worker SIGKILLed again and again, the Temporal server restarted once, the
 * emulator and the stores failing, slowing and losing answers. A monitor checks all along that
 * every destination holds a live key; at the end the run checks that every rotation finished,
 * that no old key or orphan is left, and that no key is in any history, log or database file.
 */
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { parseKeyring } from '../../src/codec/keyring.js';
import { createRotatorDataConverter, FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter.js';
import { ensureTemporalCli } from '../../src/dev/temporal-cli.js';
import { generateOpenRouterKey } from '../../src/emulator/key-store.js';
import { startEmulator } from '../../src/emulator/server.js';
import { labelOfKey } from '../../src/errors/redact.js';
import { WORKFLOW_PRELOAD_MODULES, WORKFLOWS_PATH } from '../../src/worker/rotation-workers.js';
import { chaosCommand, type ChaosOptions } from './chaos-options.js';
import { startChaosDestinations, VAULT_TOKEN_ENV } from './destinations.js';
import { emulatorControl, emulatorRequestLog } from './emulator-control.js';
import { chaosFaultPlan } from './fault-plan.js';
import { keepKillingWorker, restartServerOnce } from './disruptions.js';
import { auditEndState, judgeRotations } from './final-audit.js';
import { keyRotatorCli } from './key-rotator-cli.js';
import { startMonitor } from './monitor.js';
import type { ChaosReport } from './report.js';
import { runRotations, type RotationRun } from './rotation-runner.js';
import { MANAGEMENT_KEY_ENV, writeCodecKeyring, writeRotationsFile, writeWorkerPolicy } from './run-files.js';
import { scanFiles, scanHistories, secretNeedles } from './secret-scan.js';
import { startChaosTemporalServer } from './temporal-server.js';
import { Violations } from './violations.js';
import { chaosWorker } from './worker-process.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DAY_MS = 86_400_000;
/** Settings of ours or of the services we start that must not leak in from the caller's environment. */
const FOREIGN_SETTINGS = /^(TEMPORAL_|KEY_ROTATOR_|OPENROUTER_|AWS_|VAULT_|BAO_|CHAOS_)/;

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** The caller's environment without any setting of ours: children get exactly what the run gives them. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !FOREIGN_SETTINGS.test(name)));
}

/** A time of day 12 hours away, so that no schedule fires on its own during the run. */
function farFromNow(now: Date): string {
  const later = new Date(now.getTime() + DAY_MS / 2);
  return `${String(later.getUTCHours()).padStart(2, '0')}:${String(later.getUTCMinutes()).padStart(2, '0')}`;
}

export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const startedAt = Date.now();
  const rotations = options.rotations ?? 20;
  const seed = options.seed ?? 1;
  const minutes = options.minutes ?? 30;
  const keyCount = options.keys ?? Math.min(20, Math.ceil(rotations / 2));
  const command = chaosCommand({ ...options, rotations, seed, minutes, keys: keyCount });
  const outDir = path.resolve(
    options.outDir ?? path.join(REPO_ROOT, '.tmp', 'chaos', `${timestamp(new Date(startedAt))}-seed${seed}`),
  );
  const files = {
    driverLog: path.join(outDir, 'driver.log'),
    workerLog: path.join(outDir, 'worker.log'),
    cliLog: path.join(outDir, 'cli.log'),
    emulatorLog: path.join(outDir, 'emulator.log'),
    temporalLog: path.join(outDir, 'temporal-server.log'),
    temporalDb: path.join(outDir, 'temporal.db'),
    bundle: path.join(outDir, 'workflow-bundle.js'),
    codecKeyring: path.join(outDir, 'codec-keyring.json'),
    sealingKeyring: path.join(outDir, 'sealing-keyring.json'),
    rotations: path.join(outDir, 'rotations.yaml'),
    policy: path.join(outDir, 'worker-policy.yaml'),
    destinations: path.join(outDir, 'destinations'),
  };
  await mkdir(outDir, { recursive: true, mode: 0o700 });

  /** The run's log; `echo` also hands the line to the caller. */
  const note = (line: string, echo = false) => {
    const elapsed = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(7);
    appendFileSync(files.driverLog, `+${elapsed}s ${line}\n`, { mode: 0o600 });
    if (echo) options.log?.(line);
  };
  const log = (line: string) => note(line, true);
  const violations = new Violations(startedAt, (v) => log(`VIOLATION ${v.kind}: ${v.detail}`));
  const plan = chaosFaultPlan({ seed, rotations, minutes });
  const stops: (() => Promise<unknown>)[] = [];
  log(`${command} (files in ${outDir})`);

  try {
    // ── the services ─────────────────────────────────────────────────────────────────────────
    /** Every secret of the run: no history, log or database file may hold any of them. */
    const secrets = new Map<string, string>();
    const managementKey = generateOpenRouterKey();
    secrets.set(managementKey, `the management key ${labelOfKey(managementKey)}`);
    const emulator = await startEmulator({
      managementKey,
      seed,
      onKeyIssued: (key) => secrets.set(key, labelOfKey(key)),
    });
    stops.push(() => emulator.stop());
    const control = emulatorControl(emulator.url, managementKey);
    const emulatorApiBaseUrl = emulator.apiBaseUrl;

    const destinations = await startChaosDestinations({
      fileRoot: files.destinations,
      external: options.externalDestinations ?? true,
      plan,
      seed,
      log: (line) => note(`fault ${line}`),
    });
    stops.push(() => destinations.stop());
    for (const [secret, what] of destinations.secrets) secrets.set(secret, what);

    const server = await startChaosTemporalServer({
      cliPath: options.temporalCliPath ?? (await ensureTemporalCli()),
      dbFile: files.temporalDb,
      logFile: files.temporalLog,
    });
    stops.push(() => server.stop());
    log(
      `Temporal dev server at ${server.address}; emulator at ${emulator.url}; destinations: ${destinations.types.join(', ')}`,
    );

    // A prebuilt bundle: a restarted worker polls in seconds instead of running webpack each time.
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      failureConverterPath: FAILURE_CONVERTER_PATH,
      // As the product's bundle: runs share the schema modules (see src/worker/rotation-workers.ts).
      preloadModules: WORKFLOW_PRELOAD_MODULES,
      logger: quietLogger,
    });
    await writeFile(files.bundle, code);
    const keyringJson = await writeCodecKeyring(files.codecKeyring);
    const keyring = parseKeyring(keyringJson, files.codecKeyring);
    for (const [id, key] of keyring.keys) secrets.set(key.toString('base64'), `codec key ${id}`);
    const sealingKeyring = parseKeyring(
      await writeCodecKeyring(files.sealingKeyring, 'chaos-sealing'),
      files.sealingKeyring,
    );
    for (const [id, key] of sealingKeyring.keys) secrets.set(key.toString('base64'), `sealing key ${id}`);
    // The key search decrypts histories as the Web UI would, foreign (unencrypted) payloads included.
    const codec = new EncryptionCodec(keyring, { foreignPayloads: 'show' });
    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: server.namespace,
      dataConverter: await createRotatorDataConverter({ keyring }),
    });

    // ── the managed keys, their hand-made first key, the files of the run ─────────────────────
    const names = Array.from({ length: keyCount }, (_, i) => `chaos-${String(i + 1).padStart(2, '0')}`);
    for (const name of names) {
      const seeded = await control.seedKey('created by hand', new Date(startedAt - 30 * DAY_MS));
      await destinations.seed(name, seeded.key);
    }
    await writeRotationsFile(files.rotations, {
      emulatorApiBaseUrl,
      rotateAt: farFromNow(new Date()),
      keys: names.map((name) => ({ name, destinations: destinations.configFor(name) })),
    });
    await writeWorkerPolicy(files.policy, {
      emulatorApiBaseUrl,
      credentialEnvs: destinations.vaultAddress ? [VAULT_TOKEN_ENV] : [],
      fileRoot: files.destinations,
      vaultAddress: destinations.vaultAddress,
      awsEndpoint: destinations.awsEndpoint,
    });

    const cliEnv: NodeJS.ProcessEnv = {
      ...cleanEnvironment(),
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      // Keeps a developer's ~/.config/temporalio/temporal.toml out of the run.
      TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml',
      KEY_ROTATOR_CODEC_KEY_FILE: files.codecKeyring,
      KEY_ROTATOR_TASK_QUEUE: `chaos-${seed}`,
      KEY_ROTATOR_POLICY: files.policy,
    };
    const workerEnv: NodeJS.ProcessEnv = {
      ...cliEnv,
      KEY_ROTATOR_WORKFLOW_BUNDLE: files.bundle,
      KEY_ROTATOR_SEALING_KEY_FILE: files.sealingKeyring,
      KEY_ROTATOR_OPENROUTER_RPS: '20',
      [MANAGEMENT_KEY_ENV]: managementKey,
      ...destinations.workerEnv,
    };
    const cli = keyRotatorCli({ env: cliEnv, cwd: REPO_ROOT, logFile: files.cliLog });
    const applied = await cli.run(['apply', '-f', files.rotations]);
    if (applied.code !== 0) throw new Error(`key-rotator apply exited ${applied.code}; see ${files.cliLog}`);

    const worker = chaosWorker({ env: workerEnv, cwd: REPO_ROOT, logFile: files.workerLog, log: note });
    stops.push(() => worker.stop());
    await worker.start();

    // ── chaos ────────────────────────────────────────────────────────────────────────────────
    await control.setFaults(plan.emulator);
    destinations.setFaultsActive(true);
    const monitor = startMonitor({
      destinations,
      names,
      readState: () => control.state(),
      violations,
      onState: emulatorRequestLog(files.emulatorLog),
      log: note,
    });
    const chaosStart = Date.now();
    let over = false;
    let finished = 0;
    log(`chaos begins: ${rotations} rotations over ${keyCount} keys`);
    const killer = keepKillingWorker({ worker, plan, seed, over: () => over, log });
    const restarter = restartServerOnce({
      server,
      plan,
      chaosStart,
      finished: () => finished,
      over: () => over,
      log,
    });

    const startBy = chaosStart + minutes * 60_000;
    let runs: RotationRun[];
    let serverRestarts: number;
    try {
      runs = await runRotations({
        client,
        cli,
        names,
        total: rotations,
        startBy,
        finishBy: startBy + (options.drainMinutes ?? 5) * 60_000,
        onFinished: () => {
          finished += 1;
          if (finished % 10 === 0 || finished === rotations)
            log(`${finished} of ${rotations} rotations finished`);
        },
        log: note,
      });
    } finally {
      over = true;
      [, serverRestarts] = await Promise.all([killer, restarter]);
    }

    // ── the end state ──────────────────────────────────────────────────────────────────────────
    await control.setFaults({});
    destinations.setFaultsActive(false);
    await monitor.checkOnce();
    const { heldKeyHashes, ...monitorFigures } = await monitor.stop();
    judgeRotations({ runs, asked: rotations, minutes, violations });
    const state = await control.state();
    const audit = await auditEndState({
      client,
      names,
      destinations,
      state,
      everHeld: heldKeyHashes,
      violations,
    });
    const faults: Record<string, number> = {};
    for (const [kind, n] of Object.entries(state.injectedFaults)) faults[`emulator ${kind}`] = n ?? 0;
    Object.assign(faults, destinations.injectedFaults());

    log(`searching ${secrets.size} secrets in histories, logs and the database`);
    const needles = secretNeedles(secrets);
    const histories = await scanHistories(client, codec, needles);
    // Stop the writers before reading their files: the database and logs are complete then.
    await worker.stop();
    await server.stop();
    const scanned = await scanFiles(
      [
        files.workerLog,
        files.cliLog,
        files.emulatorLog,
        files.temporalLog,
        files.driverLog,
        files.temporalDb,
        `${files.temporalDb}-wal`,
        `${files.temporalDb}-shm`,
        `${files.temporalDb}-journal`,
      ],
      needles,
    );
    for (const finding of [...histories.findings, ...scanned.findings]) {
      violations.add('key-material', `${finding.label} found in ${finding.where}`);
    }
    const figures = worker.figures();
    log(`end: ${audit.liveKeys} live keys, ${audit.openWorkflows} open workflows`);

    return {
      command,
      seed,
      rotationsAsked: rotations,
      managedKeys: keyCount,
      destinationTypes: destinations.types,
      runs,
      worker: figures,
      serverRestarts,
      faults,
      monitor: monitorFigures,
      historiesScanned: histories.histories,
      filesScanned: scanned.filesScanned,
      violations: violations.counts(),
      violationList: violations.list,
      durationMs: Date.now() - startedAt,
      outDir,
      passed: violations.list.length === 0,
    };
  } finally {
    for (const stop of stops.reverse()) {
      await stop().catch((err: unknown) => note(`stopping: ${String(err)}`));
    }
  }
}

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
